// Tables whose columns sort: each header is a button, and `aria-sort` says how the
// rows are ordered, for screen readers as for eyes.

import { el } from "./format.js";

/**
 * Fills `table` with `rows`. A column is { key, label, numeric, value(row), text(row) }:
 * `value` sorts (and lands in `data-value`, which tests read), `text` shows (default:
 * the value). `action` ({ label, run(row) }) adds a last column of buttons.
 */
export function sortableTable(table, caption, columns, rows, action) {
  let sortKey = null;
  let descending = true;

  const render = () => {
    const sorted = [...rows];
    if (sortKey) {
      const column = columns.find((c) => c.key === sortKey);
      sorted.sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const order = typeof x === "string" ? x.localeCompare(y) : x - y;
        return descending ? -order : order;
      });
    }
    const head = el(
      "tr",
      {},
      columns.map((column) =>
        el(
          "th",
          {
            scope: "col",
            class: column.numeric ? "num" : undefined,
            "aria-sort": column.key === sortKey ? (descending ? "descending" : "ascending") : "none",
          },
          el(
            "button",
            {
              type: "button",
              onclick: () => {
                descending = column.key === sortKey ? !descending : true;
                sortKey = column.key;
                render();
                table.querySelector(`th button[data-key="${column.key}"]`)?.focus();
              },
              dataset: { key: column.key },
            },
            column.label,
          ),
        ),
      ),
      action ? el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")) : null,
    );
    const body = sorted.map((row) =>
      el(
        "tr",
        {},
        columns.map((column, i) => {
          const value = column.value(row);
          const text = column.text ? column.text(row) : value;
          return el(
            i === 0 ? "th" : "td",
            {
              scope: i === 0 ? "row" : undefined,
              class: column.numeric ? "num" : undefined,
              dataset: { key: column.key, value: value === null || value === undefined ? "" : String(value) },
            },
            text,
          );
        }),
        action
          ? el(
              "td",
              {},
              el(
                "button",
                { type: "button", class: "link action", onclick: (event) => action.run(row, event.currentTarget), "aria-label": action.describe(row) },
                action.label,
              ),
            )
          : null,
      ),
    );
    table.replaceChildren(
      el("caption", {}, caption),
      el("thead", {}, head),
      el("tbody", {}, body.length ? body : el("tr", {}, el("td", { colspan: columns.length + 1 }, "Nothing in this period."))),
    );
  };
  render();
}
