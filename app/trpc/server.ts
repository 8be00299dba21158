import "server-only";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { cache } from "react";
import { appRouter } from "@/server/api/trpc/root";
import { pageTrpcContext } from "../auth/page-request";
import { makeQueryClient } from "./query-client";

/** One query client per server request, shared by the components that prefetch. */
export const getQueryClient = cache(makeQueryClient);

/** Server components prefetch through the same procedures the browser calls, as the page's viewer. */
export const trpc = createTRPCOptionsProxy({ ctx: pageTrpcContext, router: appRouter, queryClient: getQueryClient });
