import Link from "next/link";

/** Windows the experiment, model and fleet pages offer (the cost explorer has its own picker). */
export const PAGE_WINDOWS = ["24h", "7d", "30d", "month", "lastmonth"] as const;
export type PageWindow = (typeof PAGE_WINDOWS)[number];

export function pageWindowFrom(requested: string | string[] | undefined, fallback: PageWindow = "30d", windows: readonly string[] = PAGE_WINDOWS): string {
  const value = Array.isArray(requested) ? requested[0] : requested;
  return value !== undefined && windows.includes(value) ? value : fallback;
}

/** Window links to the same page; the window is the only query parameter these pages keep. */
export function WindowLinks({ path, current, windows = PAGE_WINDOWS }: { path: string; current: string; windows?: readonly string[] }) {
  return (
    <nav aria-label="Time window" className="window-picker">
      {windows.map((option) => (
        <Link key={option} href={`${path}?window=${option}`} aria-current={option === current ? "page" : undefined} scroll={false}>
          {option}
        </Link>
      ))}
    </nav>
  );
}

/** A route segment as the name it stands for; a name with a literal "%" that is not an escape stays as it is. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
