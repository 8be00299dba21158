import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { ViewerBar } from "./auth/viewer-bar";
import { MainNav } from "./components/main-nav";
import "./globals.css";
import { TrpcReactProvider } from "./trpc/client";

export const metadata: Metadata = {
  title: "gpu-roi",
  description: "GPU cost and utilization analytics with an ROI optimizer",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, the not-found page too: its scripts need the request's CSP nonce.
  await connection();
  return (
    <html lang="en">
      <body>
        <div className="top-bar">
          <Link href="/" className="brand">
            gpu-roi
          </Link>
          <MainNav />
          <ViewerBar />
        </div>
        <TrpcReactProvider>{children}</TrpcReactProvider>
      </body>
    </html>
  );
}
