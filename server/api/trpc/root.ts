import { createCallerFactory, createTrpcRouter } from "./init";
import { getOverviewProcedure } from "./procedures/overview/get-overview";

/** Routers only wire procedures together; each procedure lives in its own file. */
export const appRouter = createTrpcRouter({
  overview: createTrpcRouter({
    get: getOverviewProcedure,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
