import { createCallerFactory, createTrpcRouter } from "./init";
import { getAllocationProcedure } from "./procedures/allocation/get-allocation";
import { getOverviewProcedure } from "./procedures/overview/get-overview";

/** Routers only wire procedures together; each procedure lives in its own file. */
export const appRouter = createTrpcRouter({
  overview: createTrpcRouter({
    get: getOverviewProcedure,
  }),
  allocation: createTrpcRouter({
    get: getAllocationProcedure,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
