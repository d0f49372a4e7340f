import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Whether a process that held a lease or ran an attempt is gone. Only a process on
 * this machine can be checked; one elsewhere is assumed alive until its lease expires.
 */
export function isLocalProcessGone(host: string, pid: number): boolean {
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Ends a worker process group left behind by a runner that died, so a resumed attempt
 * never runs beside the old one. Checks the process is an Orchard step worker first
 * (on Linux, by its command line), so a reused pid is never touched.
 */
export function endStaleWorker(host: string, pid: number): boolean {
  if (host !== hostname() || isLocalProcessGone(host, pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('step-worker')) return false;
  } catch {
    return false;
  }
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
