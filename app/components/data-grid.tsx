"use client";

import {
  columnFilteringFeature,
  createFilteredRowModel,
  createSortedRowModel,
  filterFn_includesString,
  rowSortingFeature,
  sortFns,
  tableFeatures,
  useTable,
  type ColumnDef,
  type RowData,
  type SortingState,
} from "@tanstack/react-table";
import { useMemo, useState, type ReactNode } from "react";
import { csvDocument, downloadCsv, type CsvValue } from "./csv";

const features = tableFeatures({
  rowSortingFeature,
  sortedRowModel: createSortedRowModel(),
  sortFns,
  columnFilteringFeature,
  filteredRowModel: createFilteredRowModel(),
  filterFns: { includesString: filterFn_includesString },
});

/** One column: its raw value (sorting, filtering, CSV) and how a cell shows it. */
export interface GridColumn<Row> {
  id: string;
  header: string;
  /** Header of the CSV column; carries the unit ("Total cost (USD)"). Defaults to header. */
  csvHeader?: string;
  value: (row: Row) => string | number | null;
  display?: (row: Row) => ReactNode;
  numeric?: boolean;
  /** A text box under the header that keeps rows containing its text. */
  filterable?: boolean;
}

export interface GridTotals {
  label: string;
  /** Values by column id, raw as in `value`. */
  values: Record<string, string | number | null>;
  display: Record<string, ReactNode>;
}

/** Rows put in the page at a time: a 10,000-GPU fleet's table would be 100,000 DOM cells. */
export const RENDERED_ROWS_STEP = 500;

/**
 * A sortable, filterable table with a totals row and a CSV export of exactly the
 * rows and columns shown (after filtering and sorting; the export holds every
 * such row, also those past the first RENDERED_ROWS_STEP drawn in the page).
 */
export function DataGrid<Row extends RowData>({
  rows,
  columns,
  caption,
  initialSort,
  totals,
  csvFileName,
  emptyText,
  rowKey,
}: {
  rows: Row[];
  columns: GridColumn<Row>[];
  caption: ReactNode;
  initialSort?: SortingState;
  /** Totals of the rows left after filtering, so the totals row always matches the rows above it. */
  totals?: (visible: Row[]) => GridTotals;
  csvFileName?: string;
  emptyText: string;
  rowKey?: (row: Row) => string;
}) {
  const columnDefs = useMemo<ColumnDef<typeof features, Row>[]>(
    () =>
      columns.map((column) => ({
        id: column.id,
        header: column.header,
        accessorFn: (row: Row) => column.value(row) ?? (column.numeric ? -Infinity : ""),
        cell: (info) => (column.display ? column.display(info.row.original) : String(column.value(info.row.original) ?? "")),
        enableColumnFilter: column.filterable === true,
        filterFn: "includesString",
        // Text columns sort A→Z first; figures sort largest first.
        sortDescFirst: column.numeric === true,
      })),
    [columns],
  );

  const table = useTable({
    features,
    columns: columnDefs,
    data: rows,
    initialState: { sorting: initialSort ?? [] },
    getRowId: rowKey ? (row: Row) => rowKey(row) : undefined,
  });

  const [renderedRowCount, setRenderedRowCount] = useState(RENDERED_ROWS_STEP);
  const visibleRows = table.getRowModel().rows;
  const renderedRows = visibleRows.slice(0, renderedRowCount);
  const visibleData = visibleRows.map((row) => row.original);
  const totalsRow = totals ? totals(visibleData) : null;
  const anyFilterable = columns.some((column) => column.filterable);
  const byId = new Map(columns.map((column) => [column.id, column]));

  function exportCsv() {
    // Exactly what the table shows: its columns in order, the filtered and sorted rows, then the totals line.
    const header = columns.map((column) => column.csvHeader ?? column.header);
    const lines: CsvValue[][] = visibleData.map((row) => columns.map((column) => column.value(row)));
    if (totalsRow) lines.push(columns.map((column, index) => (index === 0 ? totalsRow.label : (totalsRow.values[column.id] ?? null))));
    downloadCsv(csvFileName ?? "table.csv", csvDocument(header, lines));
  }

  return (
    <>
      {csvFileName && (
        <div className="grid-toolbar">
          <span className="hint">
            {visibleRows.length} of {rows.length} rows
          </span>
          <button type="button" className="button" onClick={exportCsv} disabled={visibleRows.length === 0}>
            Export CSV
          </button>
        </div>
      )}
      <table className="data-table">
        <caption>{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const numeric = byId.get(header.column.id)?.numeric;
                return (
                  <th
                    key={header.id}
                    className={numeric ? "numeric" : undefined}
                    aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                  >
                    <button type="button" onClick={header.column.getToggleSortingHandler()}>
                      <table.FlexRender header={header} />
                      {sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : ""}
                    </button>
                  </th>
                );
              })}
            </tr>
          ))}
          {anyFilterable && (
            <tr className="filter-row">
              {table.getAllLeafColumns().map((column) => (
                <th key={column.id}>
                  {column.getCanFilter() && (
                    <input
                      type="search"
                      aria-label={`Filter ${byId.get(column.id)?.header ?? column.id}`}
                      placeholder="filter…"
                      value={(column.getFilterValue() as string | undefined) ?? ""}
                      onChange={(event) => column.setFilterValue(event.target.value || undefined)}
                    />
                  )}
                </th>
              ))}
            </tr>
          )}
        </thead>
        <tbody>
          {renderedRows.map((row) => (
            <tr key={row.id}>
              {row.getAllCells().map((cell) => (
                <td key={cell.id} className={byId.get(cell.column.id)?.numeric ? "numeric" : undefined}>
                  <table.FlexRender cell={cell} />
                </td>
              ))}
            </tr>
          ))}
          {visibleRows.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="empty">
                {rows.length === 0 ? emptyText : "No row matches the filters."}
              </td>
            </tr>
          )}
          {visibleRows.length > renderedRows.length && (
            <tr>
              <td colSpan={columns.length} className="empty">
                {renderedRows.length} of {visibleRows.length} rows shown (filter, sort or export CSV for the rest){" "}
                <button type="button" className="button" onClick={() => setRenderedRowCount(renderedRowCount + RENDERED_ROWS_STEP)}>
                  Show {Math.min(RENDERED_ROWS_STEP, visibleRows.length - renderedRows.length)} more
                </button>
              </td>
            </tr>
          )}
        </tbody>
        {totalsRow && visibleRows.length > 0 && (
          <tfoot>
            <tr className="totals-row">
              {columns.map((column, index) => (
                <td key={column.id} className={column.numeric ? "numeric" : undefined}>
                  {index === 0 ? totalsRow.label : (totalsRow.display[column.id] ?? "")}
                </td>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </>
  );
}
