//! [`DataTable`]: the dashboard's one table.
//!
//! A page names its columns once ([`Column`]) and hands over rows of cells ([`Row`]); the
//! table writes the header, labels every cell with its column (`data-label`), and marks the
//! selected row. Where the table's box is too narrow for its columns (a phone, or a laptop
//! with a wide table), the stylesheet turns each row into a card of labelled lines — a
//! container query on the table's own width, so the same table behaves the same beside a
//! side navigation or without one. Nothing scrolls sideways: cells wrap instead.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;

/// One column: its header and how its cells look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The header, also each cell's label when rows become cards.
    pub label: &'static str,
    /// Classes of its cells: `num` (right-aligned figures), `actions` (row actions),
    /// `nowrap`, `wrap` (long text that may break anywhere).
    pub class: &'static str,
    /// Whether the header is for screen readers only (a column of buttons).
    pub hidden_label: bool,
}

impl Column {
    /// A column of text.
    pub const fn new(label: &'static str) -> Self {
        Self {
            label,
            class: "",
            hidden_label: false,
        }
    }

    /// The same column with `class` on its cells.
    pub const fn class(self, class: &'static str) -> Self {
        Self { class, ..self }
    }

    /// The row actions' column (its header is read, not shown).
    pub const fn actions() -> Self {
        Self {
            label: "Actions",
            class: "actions",
            hidden_label: true,
        }
    }
}

/// One row: its cells, in the columns' order.
pub struct Row {
    cells: Vec<AnyView>,
    data: (&'static str, String),
    selected: Option<Signal<bool>>,
    class: &'static str,
}

impl Row {
    /// A row of `cells` (one per column).
    pub fn new(cells: Vec<AnyView>) -> Self {
        Self {
            cells,
            data: ("data-row", String::new()),
            selected: None,
            class: "",
        }
    }

    /// Marks the row with a `data-*` attribute (`data-call="…"`) for styling and tests.
    pub fn data(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.data = (name, value.into());
        self
    }

    /// Highlights the row while `selected` holds (the opened item).
    pub fn selected(mut self, selected: impl Into<Signal<bool>>) -> Self {
        self.selected = Some(selected.into());
        self
    }

    /// Classes on the `<tr>` (`revoked`).
    pub fn class(mut self, class: &'static str) -> Self {
        self.class = class;
        self
    }
}

/// A table of `rows` under `columns`; cards where it does not fit.
#[component]
pub fn DataTable(
    /// The table's `id`.
    id: &'static str,
    /// The columns, in order.
    columns: Vec<Column>,
    /// The rows.
    rows: Vec<Row>,
    /// What the table lists, for screen readers.
    #[prop(optional, into)]
    caption: Option<String>,
    /// Classes on the `<table>`; `wide` makes it turn into cards sooner.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let wide = class.split_whitespace().any(|c| c == "wide");
    let head = columns
        .iter()
        .map(|c| {
            let label = if c.hidden_label {
                view! { <span class="visually-hidden">{c.label}</span> }.into_any()
            } else {
                c.label.into_any()
            };
            // Headers share only their column's alignment, never its wrapping.
            let align = ["num", "actions"]
                .into_iter()
                .find(|a| c.class.split_whitespace().any(|k| k == *a))
                .unwrap_or("");
            view! { <th scope="col" class=align>{label}</th> }
        })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let Row {
                cells,
                data,
                selected,
                class,
            } = row;
            let cells = cells
                .into_iter()
                .zip(columns.iter())
                .map(|(cell, c)| {
                    view! {
                        <td data-label=c.label class=c.class>
                            <span class="cell">{cell}</span>
                        </td>
                    }
                })
                .collect_view();
            let is_selected = move || selected.is_some_and(|s| s.get());
            view! {
                <tr class=class class:selected={is_selected} {..custom_attribute(data.0, data.1)}>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" class:table-wrap-wide=wide>
            <table class=format!("table {class}") id=id>
                {caption.map(|c| view! { <caption class="visually-hidden">{c}</caption> })}
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}
