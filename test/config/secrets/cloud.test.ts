import { describe, expect, it } from "vitest";
import { useFakeClis } from "./helpers.js";

// Shapes from Kamal's aws_secrets_manager_adapter_test.rb, gcp_secret_manager_adapter_test.rb and doppler_adapter_test.rb.
const awsSecret = (name: string, secretString: string) => ({
  ARN: `arn:aws:secretsmanager:us-east-1:aaaaaaaaaaaa:secret:${name}`,
  Name: name,
  VersionId: "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
  SecretString: secretString,
  VersionStages: ["AWSCURRENT"],
  CreatedDate: "2024-01-01T00:00:00.000000",
});
const awsResponse = (values: unknown[], errors: unknown[] = []) => JSON.stringify({ SecretValues: values, Errors: errors }, null, 2);

describe("aws_secrets_manager adapter (aws)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "aws-cli/2.17.0\n" };
  const batch = (ids: string[], profile?: string) => ["secretsmanager", "batch-get-secret-value", "--secret-id-list", ...ids, ...(profile === undefined ? [] : ["--profile", profile]), "--output", "json"];

  it("reads several secrets in one call; a JSON object secret gives one key per field", () => {
    t.fakes.install("aws", [
      installed,
      { argv: batch(["secret", "secret2"], "default"), stdout: awsResponse([awsSecret("secret", '{"KEY1":"VALUE1", "KEY2":"VALUE2"}'), awsSecret("secret2", "a-string-secret")]) },
    ]);
    expect(t.fetch("aws_secrets_manager", ["secret", "secret2"], { account: "default" })).toEqual({ "secret/KEY1": "VALUE1", "secret/KEY2": "VALUE2", secret2: "a-string-secret" });
  });

  it("prefixes --from, omits --profile without --account, and turns JSON scalars and nested values into strings", () => {
    t.fakes.install("aws", [
      installed,
      {
        argv: batch(["myapp/port", "myapp/flag", "myapp/name", "myapp/nothing", "myapp/RailsUser"]),
        stdout: awsResponse([
          awsSecret("myapp/port", "5432"),
          awsSecret("myapp/flag", "true"),
          awsSecret("myapp/name", '"quoted-string"'),
          awsSecret("myapp/nothing", "null"),
          awsSecret("myapp/RailsUser", '{"host":"db.example","port":5432,"ssl":true,"weight":1.5,"missing":null,"replicas":{"read":"r.example","port":5433},"tags":["prod","db"]}'),
        ]),
      },
    ]);
    expect(t.fetch("aws_secrets_manager", ["port", "flag", "name", "nothing", "RailsUser"], { from: "myapp" })).toEqual({
      "myapp/port": "5432",
      "myapp/flag": "true",
      "myapp/name": "quoted-string",
      "myapp/nothing": "null",
      "myapp/RailsUser/host": "db.example",
      "myapp/RailsUser/port": "5432",
      "myapp/RailsUser/ssl": "true",
      "myapp/RailsUser/weight": "1.5",
      "myapp/RailsUser/missing": "null",
      "myapp/RailsUser/replicas": '{"read":"r.example","port":5433}',
      "myapp/RailsUser/tags": '["prod","db"]',
    });
  });

  it("reports the Errors the batch returns, and a failing CLI without showing its output", () => {
    t.fakes.install("aws", [
      installed,
      {
        argv: batch(["unknown1", "unknown2"], "default"),
        stdout: awsResponse([], [
          { SecretId: "unknown1", ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." },
          { SecretId: "unknown2", ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." },
        ]),
      },
    ]);
    expect(t.fetchError("aws_secrets_manager", ["unknown1", "unknown2"], { account: "default" }).message).toBe(
      "unknown1: Secrets Manager can't find the specified secret. unknown2: Secrets Manager can't find the specified secret.",
    );

    t.fakes.install("aws", [installed, { argv: batch(["s"]), status: 255, stdout: "partial-secret-output" }]);
    const failed = t.fetchError("aws_secrets_manager", ["s"]);
    expect(failed.message).toBe("Could not read s from AWS Secrets Manager");
    expect(failed.message + (failed.hint ?? "")).not.toContain("partial-secret-output");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("aws_secrets_manager", ["SECRET1"]).message).toBe("AWS CLI is not installed: `aws --version` did not run");
  });
});

describe("gcp_secret_manager adapter (gcloud)", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "Google Cloud SDK 490.0.0\n" };
  const authenticated = { argv: ["auth", "list", "--format=json"], stdout: JSON.stringify([{ account: "email@example.com", status: "ACTIVE" }]) };
  const payload = (data: string) => JSON.stringify({ name: "projects/000000001/secrets/item1/versions/1", payload: { data, dataCrc32c: "1846998209" } });

  it("reads `default/NAME` at `latest` with gcloud's own project and account", () => {
    t.fakes.install("gcloud", [installed, authenticated, { argv: ["secrets", "versions", "access", "latest", "--secret=mypassword", "--format=json"], stdout: payload("c2VjcmV0MTIz") }]);
    expect(t.fetch("gcp", ["mypassword"], { account: "default" })).toEqual({ "default/mypassword": "secret123" });
  });

  it("takes projects from --from or the name, versions from the name, and the account and impersonation chain from --account", () => {
    t.fakes.install("gcloud", [
      installed,
      authenticated,
      { argv: ["secrets", "versions", "access", "latest", "--secret=item1", "--project=other-project", "--format=json"], stdout: payload("c2VjcmV0MQ==") },
      { argv: ["secrets", "versions", "access", "123", "--secret=item2", "--project=other-project", "--format=json"], stdout: payload("c2VjcmV0Mg==") },
    ]);
    expect(t.fetch("gcp_secret_manager", ["item1", "item2/123"], { account: "default", from: "other-project" })).toEqual({ "other-project/item1": "secret1", "other-project/item2": "secret2" });

    t.fakes.install("gcloud", [
      installed,
      authenticated,
      {
        argv: ["secrets", "versions", "access", "123", "--secret=item1", "--project=some-project", "--account=user@example.com", "--impersonate-service-account=service-user@example.com,service-user2@example.com", "--format=json"],
        stdout: payload("c2VjcmV0MQ=="),
      },
      { argv: ["secrets", "versions", "access", "latest", "--secret=item3", "--project=manhattan-project", "--account=user@example.com", "--impersonate-service-account=service-user@example.com,service-user2@example.com", "--format=json"], stdout: payload("c2VjcmV0Mw==") },
    ]);
    expect(t.fetch("gcp", ["some-project/item1/123", "manhattan-project/item3"], { account: "user@example.com|service-user@example.com,service-user2@example.com" })).toEqual({
      "some-project/item1": "secret1",
      "manhattan-project/item3": "secret3",
    });
  });

  it("logs in with `gcloud auth login` when it can ask, and fails when that did not help", () => {
    t.fakes.install("gcloud", [
      installed,
      { argv: ["auth", "list", "--format=json"], stdout: "[]" },
      { argv: ["auth", "login"] },
      authenticated,
      { argv: ["secrets", "versions", "access", "latest", "--secret=mypassword", "--format=json"], stdout: payload("c2VjcmV0MTIz") },
    ]);
    expect(t.fetch("gcp", ["mypassword"], { account: "default", interactive: true })).toEqual({ "default/mypassword": "secret123" });

    t.fakes.install("gcloud", [installed, { argv: ["auth", "list", "--format=json"], stdout: "[]" }, { argv: ["auth", "login"], status: 1 }, { argv: ["auth", "list", "--format=json"], stdout: "[]" }]);
    expect(t.fetchError("gcp", ["mypassword"], { account: "default", interactive: true }).message).toBe("could not login to gcloud");
  });

  it("without a terminal, stops when no account is signed in; reports failed reads; names the missing CLI", () => {
    t.fakes.install("gcloud", [installed, { argv: ["auth", "list", "--format=json"], stdout: "[]" }]);
    expect(t.fetchError("gcp", ["mypassword"], { account: "default" }).hint).toContain("gcloud auth login");

    t.fakes.install("gcloud", [installed, authenticated, { argv: ["secrets", "versions", "access", "latest", "--secret=nope", "--format=json"], status: 1 }]);
    expect(t.fetchError("gcp", ["nope"], { account: "default" }).message).toBe("Could not read default/nope from Google Secret Manager");
  });

  it("needs --account, and names the missing CLI", () => {
    const account = t.fetchError("gcp", ["item1"]);
    expect(account.message).toBe("Missing required option '--account'");
    expect(account.hint).toContain("`default` for gcloud's active account");
    expect(t.fetchError("gcp", ["item1"], { account: "default" }).message).toBe("gcloud CLI is not installed: `gcloud --version` did not run");
  });
});

describe("doppler adapter", () => {
  const t = useFakeClis();
  const installed = { argv: ["--version"], stdout: "v3.69.0\n" };
  const me = { argv: ["me", "--json"], stdout: "{}" };
  const computed = (pairs: Record<string, string>) => JSON.stringify(Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, { computed: v, computedVisibility: "unmasked", note: "" }])));

  it("reads NAMEs of --from PROJECT/CONFIG (or PROJECT/CONFIG/NAME) in one call", () => {
    t.fakes.install("doppler", [installed, me, { argv: ["secrets", "get", "SECRET1", "FSECRET1", "--json", "-p", "my-project", "-c", "prd"], stdout: computed({ SECRET1: "secret1", FSECRET1: "fsecret1" }) }]);
    expect(t.fetch("doppler", ["SECRET1", "FSECRET1"], { from: "my-project/prd" })).toEqual({ SECRET1: "secret1", FSECRET1: "fsecret1" });

    t.fakes.install("doppler", [installed, me, { argv: ["secrets", "get", "SECRET1", "--json", "-p", "my-project", "-c", "prd"], stdout: computed({ SECRET1: "secret1" }) }]);
    expect(t.fetch("doppler", ["my-project/prd/SECRET1"])).toEqual({ SECRET1: "secret1" });
  });

  it("leaves project and config to a service token in DOPPLER_TOKEN", () => {
    t.fakes.install("doppler", [installed, me, { argv: ["secrets", "get", "SECRET1", "--json"], stdout: computed({ SECRET1: "secret1" }) }]);
    expect(t.fetch("doppler", ["SECRET1"], { env: { DOPPLER_TOKEN: "dp.st.xxxxxxxxxxxxxxxxxxxxxx" } })).toEqual({ SECRET1: "secret1" });
  });

  it("logs in with `doppler login -y` when it can ask; otherwise says what to run", () => {
    t.fakes.install("doppler", [installed, { argv: ["me", "--json"], status: 1 }, { argv: ["login", "-y"] }, { argv: ["secrets", "get", "SECRET1", "--json", "-p", "my-project", "-c", "prd"], stdout: computed({ SECRET1: "secret1" }) }]);
    expect(t.fetch("doppler", ["SECRET1"], { from: "my-project/prd", interactive: true })).toEqual({ SECRET1: "secret1" });

    t.fakes.install("doppler", [installed, { argv: ["me", "--json"], status: 1 }]);
    const error = t.fetchError("doppler", ["SECRET1"], { from: "my-project/prd" });
    expect(error.message).toBe("Doppler CLI is not logged in");
    expect(error.hint).toContain("doppler login");
  });

  it("needs a project and config", () => {
    t.fakes.install("doppler", [installed, me]);
    expect(t.fetchError("doppler", ["FSECRET1"]).message).toBe("Missing project or config from '--from=project/config' option");
  });

  it("names the missing CLI", () => {
    expect(t.fetchError("doppler", ["HOST"]).message).toBe("Doppler CLI is not installed: `doppler --version` did not run");
  });
});
