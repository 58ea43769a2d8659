/**
 * Waits until every host's step has ended, then throws the first failure. With `Promise.all` the
 * caller would react (roll back) while other hosts are still mid-step, and a late step there
 * (a marker touched, a container started) would undo what the rollback just did.
 */
export async function settleAll<T>(steps: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
