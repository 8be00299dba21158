/**
 * Calendar constants shared by the solver and the server's money figures (the
 * server imports them from here: the solver imports nothing from the server).
 */

/** Hours in an average month (8,760 / 12): a weekly figure × HOURS_PER_MONTH / 168 is its monthly one. */
export const HOURS_PER_MONTH = 730;
