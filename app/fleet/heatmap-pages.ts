/** GPUs drawn in the fleet page's heatmap at a time (16 nodes of 8): a larger fleet is paged through. Shared by the server page and the client view. */
export const HEATMAP_PAGE_ROWS = 128;
