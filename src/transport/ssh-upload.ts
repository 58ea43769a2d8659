// Writing a file on a host with an exact mode: over SFTP, or, where a server offers no SFTP, by
// piping the content into `cat`. Either way the mode is set before any content is written.
import type { SFTPWrapper } from "ssh2";
import { op, type Cmd } from "../commands/shell.js";
import { uploadError } from "./upload-error.js";

const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

/** Relative paths are relative to the login directory, as with ssh; `~/x` means the same. */
export function remotePath(path: string): string {
  return path.startsWith("~/") ? path.slice(2) : path;
}

export async function writeWithSftp(sftp: SFTPWrapper, path: string, content: Buffer, mode: number): Promise<void> {
  const handle = await sftpCall<Buffer>((done) => sftp.open(path, "w", { mode }, done));
  try {
    // The open mode only applies to a new file, and through the umask: set it before writing.
    await sftpCall((done) => sftp.fchmod(handle, mode, done));
    if (content.length > 0) await sftpCall((done) => sftp.write(handle, content, 0, content.length, 0, done));
  } finally {
    await sftpCall((done) => sftp.close(handle, done));
  }
}

/** The shell fallback: truncate (created 0600 by the umask), set the mode, then write stdin. */
export function writeFileCommand(path: string, mode: number): Cmd {
  return ["umask", "077", op("&&"), ":", op(">"), path, op("&&"), "chmod", octal(mode), path, op("&&"), "cat", op(">"), path];
}

export function sftpUploadError(host: string, path: string, error: Error & { code?: unknown }): Error {
  const hint =
    error.code === SFTP_NO_SUCH_FILE
      ? "The directory does not exist on the host; create it first."
      : error.code === SFTP_PERMISSION_DENIED
        ? "The SSH user may not write there; check the owner and mode of the directory."
        : undefined;
  return uploadError(host, path, error.message, hint);
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

function sftpCall<T = void>(call: (done: (error: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    call((error, value) => (error ? reject(error) : resolve(value as T)));
  });
}
