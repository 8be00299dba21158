import { createCallerFactory, createTrpcRouter } from "./init";
import { getAllocationProcedure } from "./procedures/allocation/get-allocation";
import { getExperimentProcedure } from "./procedures/experiments/get-experiment";
import { listExperimentsProcedure } from "./procedures/experiments/list-experiments";
import { getOverviewProcedure } from "./procedures/overview/get-overview";
import { listPricesProcedure } from "./procedures/prices/list-prices";
import { listRecommendationsProcedure } from "./procedures/recommendations/list-recommendations";

/** Routers only wire procedures together; each procedure lives in its own file. */
export const appRouter = createTrpcRouter({
  overview: createTrpcRouter({
    get: getOverviewProcedure,
  }),
  allocation: createTrpcRouter({
    get: getAllocationProcedure,
  }),
  // Running the optimizers and changing a recommendation's state are admin
  // actions: REST only (admin token), until the web app has admin sign-in.
  recommendations: createTrpcRouter({
    list: listRecommendationsProcedure,
  }),
  prices: createTrpcRouter({
    list: listPricesProcedure,
  }),
  experiments: createTrpcRouter({
    list: listExperimentsProcedure,
    get: getExperimentProcedure,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
