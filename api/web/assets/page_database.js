// Database: the project database's tables, browsing and editing rows, the table editor and the
// SQL console.
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { badge, confirmByTyping, empty, errorBox, field, fill, form, latest, loading, notify, pager } from "./ui.js";
import { projectFrame } from "./frame.js";
import { cellText, columnTypes, valueInput } from "./values.js";

const tableHref = (project, table) => `#/p/${encodeURIComponent(project)}/database/${encodeURIComponent(table)}`;

/** The editor of one column's definition: name, type, nullable, default, unique, primary key. */
function columnEditor(onRemove) {
  const name = h("input", { type: "text", "aria-label": "Column name", placeholder: "name", required: true });
  const type = h("select", { "aria-label": "Column type" }, columnTypes.map((t) => h("option", { value: t }, t)));
  const nullable = h("input", { type: "checkbox", checked: true });
  const def = h("input", { type: "text", "aria-label": "Default", placeholder: "default (optional)" });
  const unique = h("input", { type: "checkbox" });
  const primary = h("input", { type: "checkbox" });
  const error = h("span", { class: "field-error", role: "alert" });
  const row = h("div", { class: "column-editor" }, name, type,
    h("label", { class: "check" }, nullable, "nullable"),
    def,
    h("label", { class: "check" }, unique, "unique"),
    h("label", { class: "check" }, primary, "primary key"),
    onRemove ? h("button", { type: "button", "aria-label": "Remove column", onclick: () => onRemove(row) }, "✕") : null,
    error);
  row.read = () => {
    const c = { name: name.value.trim(), type: type.value, nullable: nullable.checked };
    if (def.value !== "") c.default = def.value;
    if (unique.checked) c.unique = true;
    if (primary.checked) c.primary_key = true;
    return c;
  };
  row.columnName = () => name.value.trim();
  row.showError = (text) => { error.textContent = text ?? ""; };
  return row;
}

/** The tables, and the form that creates one. */
export function tablesPage(ctx) {
  const id = ctx.params.project;
  const list = h("div", {}, loading());
  const reload = () => fill(list, () => call("listTables", { project_id: id }), (r) => r.items.length
    ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Table", "Columns", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((t) => h("tr", {},
        h("td", {}, h("a", { href: tableHref(id, t.name) }, t.name)),
        h("td", {}, t.columns.map((c) => c.name + " " + c.type).join(", ")),
        h("td", {}, t.system ? badge("system: read-only") : null)))))
    : empty("No tables."));

  const name = h("input", { type: "text", name: "table_name", required: true });
  const nameField = field("Table name", name);
  const columns = h("div", { class: "columns" });
  const addColumn = () => {
    const row = columnEditor((r) => r.remove());
    columns.appendChild(row);
    return row;
  };
  addColumn();
  const create = form({
    fields: { name: nameField },
    // An error naming a column is shown on that column's row.
    column: (name) => [...columns.children].find((r) => r.columnName() === name),
    children: [nameField, h("fieldset", {}, h("legend", {}, "Columns"), columns,
      h("button", { type: "button", onclick: addColumn }, "Add column"),
      h("p", { class: "hint" }, "Without a primary key an id bigserial primary key column is added."))],
    submit: "Create table",
    action: async () => {
      for (const r of columns.children) r.showError("");
      const body = { name: name.value.trim(), columns: [...columns.children].map((r) => r.read()).filter((c) => c.name) };
      const t = await call("createTable", { project_id: id }, { body });
      notify(`Table ${t.name} created.`);
      location.hash = tableHref(id, t.name);
    },
  });
  reload();
  return projectFrame(ctx, "database", h("div", {},
    h("section", { class: "card" }, h("h2", {}, "Tables"), list),
    h("section", { class: "card" }, h("h2", {}, "New table"), create)));
}

/** One table: its rows (keyset pages, sort, filters), inline editing, and its structure. */
export function tablePage(ctx) {
  const id = ctx.params.project;
  const tableName = ctx.params.table;
  const body = h("div", {}, loading());
  const state = { order_by: "", desc: false, where: {}, cursors: [null], limit: 50 };
  let table = null;

  async function load() {
    try {
      table = await call("getTable", { project_id: id, table: tableName });
      replace(body, rowsSection(), table.system ? null : structureSection());
    } catch (e) {
      replace(body, errorBox(e, load));
    }
  }

  const editable = () => !table.system && table.primary_key;

  function rowsSection() {
    const grid = h("div", { class: "grid-wrap" });
    const filters = h("div", { class: "filters" });
    const pageInfo = h("span", { class: "muted" });
    const paging = h("div");

    const take = latest();
    const loadRows = async () => {
      const mine = take();
      replace(grid, loading("Loading rows"));
      const query = { limit: state.limit, cursor: state.cursors.at(-1), order_by: state.order_by, desc: state.desc ? "true" : undefined };
      for (const [c, v] of Object.entries(state.where)) query["where." + c] = v;
      try {
        const page = await call("listRows", { project_id: id, table: tableName }, { query });
        if (!mine()) return;  // a newer sort, filter or page was asked meanwhile
        replace(grid, rowsGrid(page.items));
        replace(pageInfo, `Page ${state.cursors.length}`);
        replace(paging, pager(state.cursors, page.next_cursor, loadRows, pageInfo));
      } catch (e) {
        if (mine()) replace(grid, errorBox(e, loadRows));
      }
    };
    const restart = () => { state.cursors.splice(0, Infinity, null); loadRows(); };

    const sortBy = (column) => {
      if (state.order_by === column) state.desc = !state.desc;
      else { state.order_by = column; state.desc = false; }
      restart();
    };

    function header() {
      return h("tr", {}, table.columns.map((c) => {
        const sorted = state.order_by === c.name;
        return h("th", { scope: "col", "aria-sort": sorted ? (state.desc ? "descending" : "ascending") : undefined },
          h("button", { type: "button", class: "sort", onclick: () => sortBy(c.name) },
            h("span", { class: "visually-hidden" }, "Sort by "), c.name, h("span", { class: "type" }, " " + c.type),
            sorted ? h("span", { "aria-hidden": "true" }, state.desc ? " ▼" : " ▲") : ""));
      }), editable() ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")) : null);
    }

    function cell(value, column) {
      const text = cellText(value, column.type);
      return h("td", { class: "cell-" + column.type, title: column.type === "timestamptz" ? value : undefined },
        text === null ? h("span", { class: "null" }, "null") : text);
    }

    function rowsGrid(rows) {
      const tbody = h("tbody", {}, rows.map((r) => viewRow(r)));
      if (editable()) tbody.appendChild(insertRow(tbody));
      return h("table", { class: "grid rows", "data-table": tableName }, h("thead", {}, header()), tbody,
        rows.length ? null : h("caption", {}, Object.keys(state.where).length ? "No rows match the filters." : "No rows yet."));
    }

    function viewRow(r) {
      const tr = h("tr", { dataset: { key: String(r[table.primary_key] ?? "") } }, table.columns.map((c) => cell(r[c.name], c)));
      if (editable())
        tr.appendChild(h("td", { class: "actions" },
          h("button", {
            type: "button",
            onclick: () => {
              const editing = editRow(r);
              tr.replaceWith(editing);
              editing.querySelector("input, select, textarea")?.focus();
            },
          }, "Edit"),
          h("button", {
            type: "button", class: "danger",
            onclick: async () => {
              try {
                await call("deleteRow", { project_id: id, table: tableName, key: r[table.primary_key] });
                tr.remove();
                notify("Row deleted.");
              } catch (e) { notify(e.message, "error"); }
            },
          }, "Delete")));
      return tr;
    }

    /** Inputs for every column in one table row, each with its error under it. */
    function inputsRow(values, buttons, onSubmit) {
      const inputs = {};
      const errors = {};
      const tr = h("tr", { class: "editing" }, table.columns.map((c) => {
        inputs[c.name] = valueInput(c, values?.[c.name], c.name);
        errors[c.name] = h("span", { class: "field-error", role: "alert" });
        return h("td", {}, inputs[c.name], errors[c.name]);
      }));
      const status = h("span", { class: "field-error", role: "alert" });
      tr.appendChild(h("td", { class: "actions" }, buttons, status));
      let busy = false;
      tr.submit = async () => {
        if (busy) return;  // one save or insert at a time: Enter twice stores one row
        busy = true;
        for (const e of Object.values(errors)) e.textContent = "";
        status.textContent = "";
        try {
          await onSubmit(inputs);
        } catch (e) {
          const column = e?.details?.column;
          if (column && errors[column]) {
            errors[column].textContent = e.message;
            inputs[column].setAttribute("aria-invalid", "true");
            inputs[column].focus();
          } else {
            status.textContent = e.message;
          }
        } finally {
          busy = false;
        }
      };
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && ev.target.tagName === "INPUT") { ev.preventDefault(); tr.submit(); } });
      return tr;
    }

    /** The row back in view, with the keyboard on its Edit button. */
    function backToView(tr, r) {
      const view = viewRow(r);
      tr.replaceWith(view);
      view.querySelector("button")?.focus();
    }

    function editRow(r) {
      const tr = inputsRow(r, [
        h("button", { type: "button", class: "primary", onclick: () => tr.submit() }, "Save"),
        h("button", { type: "button", onclick: () => backToView(tr, r) }, "Cancel"),
      ], async (inputs) => {
        // Only what was edited is sent: a value the input cannot show exactly (a timestamp's
        // microseconds) is never written back.
        const changes = {};
        for (const c of table.columns) {
          if (!inputs[c.name].edited()) continue;
          const v = inputs[c.name].read();
          changes[c.name] = v === undefined ? null : v;
        }
        if (!Object.keys(changes).length) return backToView(tr, r);
        const updated = await call("updateRow", { project_id: id, table: tableName, key: r[table.primary_key] }, { body: changes });
        backToView(tr, updated);
        notify("Row saved.");
      });
      return tr;
    }

    function insertRow(tbody) {
      const tr = inputsRow(null, [h("button", { type: "button", class: "primary", onclick: () => tr.submit() }, "Insert")], async (inputs) => {
        const values = {};
        for (const c of table.columns) {
          const v = inputs[c.name].read();
          if (v !== undefined) values[c.name] = v;
        }
        const row = await call("insertRow", { project_id: id, table: tableName }, { body: values });
        tbody.insertBefore(viewRow(row), tr);
        tr.replaceWith(insertRow(tbody));
        notify("Row inserted.");
      });
      tr.classList.add("insert");
      tr.setAttribute("aria-label", "New row");
      return tr;
    }

    function filterBar() {
      const column = h("select", { "aria-label": "Filter column" }, table.columns.map((c) => h("option", { value: c.name }, c.name)));
      const value = h("input", { type: "text", "aria-label": "Filter value", placeholder: "equals…" });
      return h("form", {
        class: "filter-bar",
        onsubmit: (ev) => {
          ev.preventDefault();
          state.where[column.value] = value.value;
          value.value = "";
          replace(filters, chips());
          restart();
        },
      }, h("span", { class: "label" }, "Filter"), column, value, h("button", { type: "submit" }, "Add filter"));
    }

    function chips() {
      return Object.entries(state.where).map(([c, v]) => h("span", { class: "chip" }, `${c} = ${v}`,
        h("button", {
          type: "button", "aria-label": `Remove filter on ${c}`,
          onclick: () => { delete state.where[c]; replace(filters, chips()); restart(); },
        }, "✕")));
    }

    loadRows();
    return h("section", { class: "card" },
      h("h2", {}, "Rows of ", h("code", {}, tableName), table.system ? badge("system: read-only") : null),
      !table.system && !table.primary_key ? h("p", { class: "muted" }, "This table has no single-column primary key: its rows can be read here, changed with SQL.") : null,
      filterBar(), filters, grid, paging);
  }

  function structureSection() {
    const editor = columnEditor();
    const addForm = form({
      fields: { name: editor },
      column: () => editor,
      children: [editor],
      submit: "Add column",
      action: async () => {
        editor.showError("");
        await call("addColumn", { project_id: id, table: tableName }, { body: editor.read() });
        notify("Column added.");
        load();
      },
    });
    const danger = h("div", { class: "buttons" },
      h("button", {
        type: "button", class: "danger",
        onclick: () => confirmByTyping({
          title: "Clear table", name: tableName, confirm: "Delete every row",
          text: "Every row of this table is deleted.",
          action: async () => { await call("clearTable", { project_id: id, table: tableName }); notify("Table cleared."); load(); },
        }),
      }, "Clear table…"),
      h("button", {
        type: "button", class: "danger",
        onclick: () => confirmByTyping({
          title: "Drop table", name: tableName, confirm: "Drop table",
          text: "The table and all its rows are deleted for good.",
          action: async () => {
            await call("dropTable", { project_id: id, table: tableName });
            notify(`Table ${tableName} dropped.`);
            location.hash = `#/p/${encodeURIComponent(id)}/database`;
          },
        }),
      }, "Drop table…"));
    return h("section", { class: "card" }, h("h2", {}, "Structure"),
      h("ul", { class: "structure" }, table.columns.map((c) => h("li", {}, h("code", {}, c.name), " ", c.type,
        c.primary_key ? " · primary key" : "", c.unique ? " · unique" : "", c.nullable === false ? " · not null" : "",
        c.default !== undefined && c.default !== null ? ` · default ${c.default}` : ""))),
      h("h3", {}, "Add a column"), addForm, h("h3", {}, "Danger zone"), danger);
  }

  load();
  return projectFrame(ctx, "database", h("div", {},
    h("p", {}, h("a", { href: `#/p/${encodeURIComponent(id)}/database` }, "← Tables")), body));
}

/** The SQL console: one statement as the project's role, the result as a grid. */
export function sqlPage(ctx) {
  const id = ctx.params.project;
  const limits = ctx.me.limits;
  const query = h("textarea", { name: "query", rows: 6, class: "mono", spellcheck: "false", required: true, "aria-label": "SQL statement" });
  query.value = sessionStorage.getItem("paige.sql." + id) ?? "SELECT * FROM contacts ORDER BY id DESC LIMIT 20";
  const result = h("div", { class: "grid-wrap", "aria-live": "polite" });
  const run = form({
    children: [query],
    submit: "Run",
    action: async () => {
      sessionStorage.setItem("paige.sql." + id, query.value);
      replace(result, loading("Running"));
      const started = performance.now();
      try {
        const r = await call("runSql", { project_id: id }, { body: { query: query.value } });
        const ms = Math.round(performance.now() - started);
        replace(result,
          h("p", { class: "muted", "data-testid": "sql-summary" }, `${r.row_count} row${r.row_count === 1 ? "" : "s"} in ${ms} ms`,
            r.truncated ? h("strong", {}, ` — only the first ${r.rows.length} are shown (the cap is ${r.row_cap} rows or ${Math.round((r.byte_cap ?? 0) / 1048576)} MB)`) : ""),
          r.columns.length ? h("table", { class: "grid" },
            h("thead", {}, h("tr", {}, r.columns.map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, r.rows.map((row) => h("tr", {}, row.map((v) => {
              const text = cellText(v);
              return h("td", {}, text === null ? h("span", { class: "null" }, "null") : text);
            }))))) : null);
      } catch (e) {
        replace(result, errorBox(e));
      }
    },
  });
  query.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) run.requestSubmit(); });
  return projectFrame(ctx, "sql", h("div", {},
    h("section", { class: "card" }, h("h2", {}, "SQL console"),
      h("p", { class: "muted" }, `One statement, run as the project's own role: at most ${limits.sql_row_cap} rows and ${Math.round(limits.sql_max_bytes / 1048576)} MB are returned, and it is stopped after ${limits.sql_timeout_ms / 1000} s. Ctrl+Enter runs it.`),
      run),
    result));
}
