import { createCallerFactory, createTrpcRouter } from "./init";
import { acknowledgeAlertEpisodeProcedure } from "./procedures/alerts/acknowledge-alert-episode";
import { createAlertRuleProcedure } from "./procedures/alerts/create-alert-rule";
import { deleteAlertRuleProcedure } from "./procedures/alerts/delete-alert-rule";
import { listAlertEpisodesProcedure } from "./procedures/alerts/list-alert-episodes";
import { listAlertRulesProcedure } from "./procedures/alerts/list-alert-rules";
import { updateAlertRuleProcedure } from "./procedures/alerts/update-alert-rule";
import { getAllocationProcedure } from "./procedures/allocation/get-allocation";
import { deleteBudgetProcedure } from "./procedures/budgets/delete-budget";
import { listBudgetsProcedure } from "./procedures/budgets/list-budgets";
import { setBudgetProcedure } from "./procedures/budgets/set-budget";
import { createApiTokenProcedure } from "./procedures/api-tokens/create-api-token";
import { listApiTokensProcedure } from "./procedures/api-tokens/list-api-tokens";
import { revokeApiTokenProcedure } from "./procedures/api-tokens/revoke-api-token";
import { listAuditProcedure } from "./procedures/audit/list-audit";
import { getExperimentProcedure } from "./procedures/experiments/get-experiment";
import { listExperimentsProcedure } from "./procedures/experiments/list-experiments";
import { getEstimateProcedure } from "./procedures/estimate/get-estimate";
import { getUtilizationHeatmapProcedure } from "./procedures/fleet/get-utilization-heatmap";
import { issueNodeTokenProcedure } from "./procedures/node-tokens/issue-node-token";
import { listNodeTokensProcedure } from "./procedures/node-tokens/list-node-tokens";
import { revokeNodeTokenProcedure } from "./procedures/node-tokens/revoke-node-token";
import { getOverviewProcedure } from "./procedures/overview/get-overview";
import { addPriceProcedure } from "./procedures/prices/add-price";
import { listPricesProcedure } from "./procedures/prices/list-prices";
import { getRetentionProcedure } from "./procedures/retention/get-retention";
import { getFleetPlanProcedure } from "./procedures/recommendations/get-fleet-plan";
import { getRunStatusProcedure } from "./procedures/recommendations/get-run-status";
import { listRecommendationsProcedure } from "./procedures/recommendations/list-recommendations";
import { runRecommendationsProcedure } from "./procedures/recommendations/run-recommendations";
import { setRecommendationStateProcedure } from "./procedures/recommendations/set-recommendation-state";
import { summarizeRecommendationsProcedure } from "./procedures/recommendations/summarize-recommendations";
import { getUnitCostsProcedure } from "./procedures/unit-costs/get-unit-costs";

/** Routers only wire procedures together; each procedure lives in its own file. */
export const appRouter = createTrpcRouter({
  overview: createTrpcRouter({
    get: getOverviewProcedure,
  }),
  allocation: createTrpcRouter({
    get: getAllocationProcedure,
  }),
  estimate: createTrpcRouter({
    get: getEstimateProcedure,
  }),
  fleet: createTrpcRouter({
    getUtilizationHeatmap: getUtilizationHeatmapProcedure,
  }),
  recommendations: createTrpcRouter({
    list: listRecommendationsProcedure,
    summary: summarizeRecommendationsProcedure,
    run: runRecommendationsProcedure,
    setState: setRecommendationStateProcedure,
    fleetPlan: getFleetPlanProcedure,
    runStatus: getRunStatusProcedure,
  }),
  nodeTokens: createTrpcRouter({
    list: listNodeTokensProcedure,
    issue: issueNodeTokenProcedure,
    revoke: revokeNodeTokenProcedure,
  }),
  apiTokens: createTrpcRouter({
    list: listApiTokensProcedure,
    create: createApiTokenProcedure,
    revoke: revokeApiTokenProcedure,
  }),
  audit: createTrpcRouter({
    list: listAuditProcedure,
  }),
  prices: createTrpcRouter({
    list: listPricesProcedure,
    add: addPriceProcedure,
  }),
  retention: createTrpcRouter({
    get: getRetentionProcedure,
  }),
  experiments: createTrpcRouter({
    list: listExperimentsProcedure,
    get: getExperimentProcedure,
  }),
  unitCosts: createTrpcRouter({
    get: getUnitCostsProcedure,
  }),
  budgets: createTrpcRouter({
    list: listBudgetsProcedure,
    set: setBudgetProcedure,
    delete: deleteBudgetProcedure,
  }),
  alerts: createTrpcRouter({
    listRules: listAlertRulesProcedure,
    createRule: createAlertRuleProcedure,
    updateRule: updateAlertRuleProcedure,
    deleteRule: deleteAlertRuleProcedure,
    listEpisodes: listAlertEpisodesProcedure,
    acknowledge: acknowledgeAlertEpisodeProcedure,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
