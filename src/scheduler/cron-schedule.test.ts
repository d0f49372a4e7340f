import { describe, expect, it } from 'vitest';
import { cronIssues, latestDue, nextDue } from './cron-schedule.js';

const t = (iso: string) => Date.parse(iso);

describe('cron schedules', () => {
  it('finds the latest tick at or before now, after the given time', () => {
    // Hourly at minute 0: at 11:30 the latest tick is 11:00; at exactly 11:00 it is 11:00 itself.
    expect(latestDue('0 * * * *', 'UTC', t('2025-01-01T00:00:00Z'), t('2025-01-01T11:30:00Z'))).toBe(t('2025-01-01T11:00:00Z'));
    expect(latestDue('0 * * * *', 'UTC', t('2025-01-01T00:00:00Z'), t('2025-01-01T11:00:00Z'))).toBe(t('2025-01-01T11:00:00Z'));
    // Nothing new since the last tick handled.
    expect(latestDue('0 * * * *', 'UTC', t('2025-01-01T11:00:00Z'), t('2025-01-01T11:59:59Z'))).toBeUndefined();
  });

  it('catches up missed ticks with one run: the latest one only', () => {
    // Daily at 03:00, down from Jan 1 to Jan 5 10:00: one due time, Jan 5 03:00.
    expect(latestDue('0 3 * * *', 'UTC', t('2025-01-01T00:00:00Z'), t('2025-01-05T10:00:00Z'))).toBe(t('2025-01-05T03:00:00Z'));
  });

  it('reads the expression in its time zone', () => {
    // 03:00 in Berlin in winter (UTC+1) is 02:00 UTC.
    expect(nextDue('0 3 * * *', 'Europe/Berlin', t('2025-01-01T00:00:00Z'))).toBe(t('2025-01-01T02:00:00Z'));
  });

  it('reports a bad expression and a bad time zone with the fix', () => {
    expect(cronIssues('0 3 * * *', 'UTC')).toEqual([]);
    expect(cronIssues('61 * * * *', 'UTC')[0]!.message).toMatch(/'61 \* \* \* \*' is not a cron expression.*five fields/);
    expect(cronIssues('0 3 * * *', 'Mars/Base')[0]!.message).toMatch(/'Mars\/Base' is not an IANA time zone/);
  });
});
