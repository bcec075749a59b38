/**
 * What the window may have the core read from disk: a file the person picked
 * in the shell's own open dialog (granted here by the main process, never by
 * the window), or a file on a mounted removable medium. The window may be
 * running hostile script (it renders files that came across the air gap), so
 * a path it names is a request, not a permission.
 *
 * Every other path is refused with one error, PATH_NOT_PERMITTED, decided
 * before anything is read, with the same words whether or not the file
 * exists, so the answer cannot be used to probe the workstation's disk.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { listRemovableMedia } from './removable-media.ts';

/** The mount points of the removable media now present. */
export type MediaMounts = () => Promise<readonly string[]>;

const currentMedia: MediaMounts = async () => (await listRemovableMedia()).map((m) => m.mountPoint);

function notPermitted(path: string): CustosError {
  // Only the path as given goes back: no errno, no "not found", nothing the file system said.
  return new CustosError('PATH_NOT_PERMITTED',
    `Custos reads by path only a file you picked in its file dialog or one on a removable medium, and ${path.slice(0, 300)} is neither. Use "Choose CSR files…", or copy the file to a USB medium.`,
    { path: path.slice(0, 300) });
}

function isInside(path: string, folder: string, orSelf: boolean): boolean {
  if (path === folder) return orSelf;
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** The path made absolute and free of `.` and `..`, or undefined for one that is not absolute or holds NUL. */
function lexical(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0') || !isAbsolute(path)) return undefined;
  return resolve(path);
}

export class ReadGrants {
  readonly #picked = new Set<string>();
  readonly #media: MediaMounts;

  constructor(media: MediaMounts = currentMedia) {
    this.#media = media;
  }

  /** Remembers a path the shell's open dialog returned: the person chose it, so the window may have it read. */
  grant(path: string): void {
    const normal = lexical(path);
    if (normal !== undefined) this.#picked.add(normal);
  }

  /** Returns the path to read for `path`, or throws PATH_NOT_PERMITTED. */
  async permitFile(path: string): Promise<string> {
    const normal = lexical(path);
    if (normal === undefined) throw notPermitted(String(path));
    if (this.#picked.has(normal)) return normal;
    return this.#onMedium(path, normal, false);
  }

  /** Returns the folder to list for `path` (a medium's mount point or a folder on it), or throws PATH_NOT_PERMITTED. */
  async permitFolder(path: string): Promise<string> {
    const normal = lexical(path);
    if (normal === undefined) throw notPermitted(String(path));
    return this.#onMedium(path, normal, true);
  }

  async #onMedium(asGiven: string, normal: string, orMountPoint: boolean): Promise<string> {
    const mounts = await this.#media();
    // Lexically first: a path nowhere near a medium is refused without touching the disk.
    if (!mounts.some((m) => isInside(normal, m, orMountPoint))) throw notPermitted(asGiven);
    // Then as the kernel resolves it: a symbolic link on the medium may point anywhere.
    let real: string;
    try {
      real = await realpath(normal);
    } catch {
      throw notPermitted(asGiven);
    }
    const realMounts = await Promise.all(mounts.map((m) => realpath(m).catch(() => m)));
    if (!realMounts.some((m) => isInside(real, m, orMountPoint))) throw notPermitted(asGiven);
    return real;
  }
}
