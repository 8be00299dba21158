"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/costs", label: "Costs" },
  { href: "/budgets", label: "Budgets" },
  { href: "/experiments", label: "Experiments", also: "/models" },
  { href: "/fleet", label: "Fleet" },
  { href: "/recommendations", label: "Recommendations" },
  { href: "/estimate", label: "Estimate" },
  { href: "/alerts", label: "Alerts" },
  { href: "/settings", label: "Settings" },
];

/** The top bar's links; the current section is marked for sighted and screen-reader users alike. */
export function MainNav() {
  const pathname = usePathname();
  const isCurrent = (href: string, also?: string) =>
    href === "/" ? pathname === "/" : pathname.startsWith(href) || (also !== undefined && pathname.startsWith(also));
  return (
    <nav aria-label="Main">
      {LINKS.map((link) => (
        <Link key={link.href} href={link.href} aria-current={isCurrent(link.href, link.also) ? "page" : undefined}>
          {link.label}
        </Link>
      ))}
    </nav>
  );
}
