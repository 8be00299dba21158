import { DEFAULT_RAW_RETENTION_DAYS } from "../services/retention-service";

/** GPU_ROI_RAW_RETENTION_DAYS: days raw windows are kept (default 14, at least 1). Read through server-settings.ts. */
export function rawRetentionDaysFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.GPU_ROI_RAW_RETENTION_DAYS;
  if (raw === undefined || raw === "") return DEFAULT_RAW_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 1) throw new Error(`GPU_ROI_RAW_RETENTION_DAYS: expected a number of days >= 1, got "${raw}"`);
  return days;
}
