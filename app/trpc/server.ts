import "server-only";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { cache } from "react";
import { createTrpcContext } from "@/server/api/trpc/init";
import { appRouter } from "@/server/api/trpc/root";
import { makeQueryClient } from "./query-client";

/** One query client per server request, shared by the components that prefetch. */
export const getQueryClient = cache(makeQueryClient);

/** Server components prefetch through the same procedures the browser calls. */
export const trpc = createTRPCOptionsProxy({ ctx: createTrpcContext, router: appRouter, queryClient: getQueryClient });
