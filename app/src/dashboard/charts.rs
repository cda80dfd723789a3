//! The home page's charts as inline SVG drawn on the server: calls per day stacked by
//! outcome, and missed calls by hour of the week as a 7×24 heat grid.
//!
//! The geometry is pure ([`stacked_bars`], [`heat_cells`]) and unit-tested; the components
//! only place it in `view!`, which escapes every text (intent names and domains are
//! typed by people). No chart script and no `style` attributes (the CSP allows neither):
//! colours come from classes in `style/charts.css`. Each chart is `role="img"` with a
//! title and a description, and the page puts the same figures in a table next to it.

use entity::calls::filter::OutcomeKind;
use entity::calls::stats::{DayCounts, WEEKDAYS};
use leptos::prelude::*;

/// The bar chart's drawing box.
pub const BAR_WIDTH: u32 = 720;
pub const BAR_HEIGHT: u32 = 220;
/// Room for the y-axis labels (left) and the day labels (bottom).
const LEFT: u32 = 36;
const BOTTOM: u32 = 24;
const TOP: u32 = 8;

/// One coloured piece of a day's bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub kind: OutcomeKind,
    pub count: u32,
}

/// A day's bar: its segments, bottom first, and its label under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    /// The label's centre.
    pub label_x: f64,
    /// Whether the label is drawn (on 30 days, every 5th).
    pub show_label: bool,
    pub total: u32,
    pub segments: Vec<Segment>,
}

/// The bars and the y axis's top value.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub bars: Vec<Bar>,
    /// The y axis's top (a round number at or above the busiest day; 1 without calls).
    pub max: u32,
}

/// A "nice" axis top at or above `n`: 1, 2, 5 × 10ᵏ.
#[must_use]
pub fn nice_max(n: u32) -> u32 {
    let mut step = 1_u32;
    loop {
        for m in [1, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= n || v == u32::MAX {
                return v.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The stacked bars of `days` (oldest first) in a [`BAR_WIDTH`] × [`BAR_HEIGHT`] box.
#[must_use]
pub fn stacked_bars(days: &[DayCounts]) -> BarChart {
    let busiest = days.iter().map(DayCounts::total).max().unwrap_or(0);
    let max = nice_max(busiest);
    let plot_w = f64::from(BAR_WIDTH - LEFT);
    let plot_h = f64::from(BAR_HEIGHT - BOTTOM - TOP);
    let n = days.len().max(1);
    let slot = plot_w / n as f64;
    let width = (slot * 0.7).max(1.0);
    let every = if n > 10 { 5 } else { 1 };
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = f64::from(LEFT) + slot * i as f64 + (slot - width) / 2.0;
            let mut base = f64::from(TOP) + plot_h;
            let segments = OutcomeKind::ALL
                .iter()
                .filter(|k| d.get(**k) > 0)
                .map(|k| {
                    let count = d.get(*k);
                    let height = plot_h * f64::from(count) / f64::from(max);
                    base -= height;
                    Segment {
                        x,
                        y: base,
                        width,
                        height,
                        kind: *k,
                        count,
                    }
                })
                .collect();
            Bar {
                label: d.day.format("%b %-d").to_string(),
                label_x: x + width / 2.0,
                show_label: (n - 1 - i).is_multiple_of(every),
                total: d.total(),
                segments,
            }
        })
        .collect();
    BarChart { bars, max }
}

/// The y of value `v` on the bar chart's axis.
fn y_of(v: u32, max: u32) -> f64 {
    let plot_h = f64::from(BAR_HEIGHT - BOTTOM - TOP);
    f64::from(TOP) + plot_h - plot_h * f64::from(v) / f64::from(max.max(1))
}

/// Rounds a coordinate to a tenth, for short attributes.
fn r(v: f64) -> String {
    format!("{:.1}", (v * 10.0).round() / 10.0)
}

/// The calls-per-day chart.
#[component]
pub fn CallsPerDayChart(
    days: Vec<DayCounts>,
    /// The chart's title (also its accessible name).
    title: String,
) -> impl IntoView {
    let chart = stacked_bars(&days);
    let total: u32 = days.iter().map(DayCounts::total).sum();
    let desc = format!(
        "{total} calls over {} days; the busiest day had {} calls. The table below lists each day.",
        days.len(),
        days.iter().map(DayCounts::total).max().unwrap_or(0)
    );
    let ticks = [0, chart.max / 2, chart.max]
        .into_iter()
        .map(|v| {
            let y = y_of(v, chart.max);
            view! {
                <g class="chart-tick">
                    <line x1=LEFT.to_string() x2=BAR_WIDTH.to_string() y1=r(y) y2=r(y) />
                    <text x=(LEFT - 4).to_string() y=r(y + 4.0) class="chart-axis-label" text-anchor="end">
                        {v.to_string()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let bars = chart
        .bars
        .into_iter()
        .map(|b| {
            let label = b.show_label.then(|| {
                view! {
                    <text
                        x=r(b.label_x)
                        y=(BAR_HEIGHT - 6).to_string()
                        class="chart-axis-label"
                        text-anchor="middle"
                    >
                        {b.label.clone()}
                    </text>
                }
            });
            let day = b.label.clone();
            let segments = b
                .segments
                .into_iter()
                .map(|s| {
                    let tip = format!("{day}: {} {}", s.count, s.kind.label().to_lowercase());
                    view! {
                        <rect
                            x=r(s.x)
                            y=r(s.y)
                            width=r(s.width)
                            height=r(s.height)
                            class=format!("bar bar-{}", s.kind.as_str())
                        >
                            <title>{tip}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! { <g class="chart-day" data-total=b.total.to_string()>{segments}{label}</g> }
        })
        .collect_view();
    view! {
        <svg
            class="chart chart-bars"
            id="chart-calls-per-day"
            viewBox=format!("0 0 {BAR_WIDTH} {BAR_HEIGHT}")
            role="img"
            aria-labelledby="chart-calls-per-day-title chart-calls-per-day-desc"
        >
            <title id="chart-calls-per-day-title">{title}</title>
            <desc id="chart-calls-per-day-desc">{desc}</desc>
            {ticks}
            {bars}
        </svg>
        <ul class="chart-legend" aria-hidden="true">
            {OutcomeKind::ALL
                .iter()
                .map(|k| view! {
                    <li><span class=format!("legend-swatch bar-{}", k.as_str())></span>{k.label()}</li>
                })
                .collect_view()}
        </ul>
    }
}

/// The heat grid's cell size and margins.
const CELL: u32 = 22;
const GRID_LEFT: u32 = 40;
const GRID_TOP: u32 = 18;

/// One hour of the week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeatCell {
    pub x: u32,
    pub y: u32,
    pub weekday: usize,
    pub hour: usize,
    pub count: u32,
    /// 0 (none) to 4 (the busiest hours).
    pub level: u32,
}

/// The 7 × 24 cells of `grid` (weekday rows, Monday first; hour columns), each with its
/// shade: 0 for none, else 1–4 by its share of the busiest hour.
#[must_use]
pub fn heat_cells(grid: &[Vec<u32>]) -> Vec<HeatCell> {
    let max = grid.iter().flatten().copied().max().unwrap_or(0);
    let mut cells = Vec::with_capacity(7 * 24);
    for weekday in 0..7_usize {
        for hour in 0..24_usize {
            let count = grid
                .get(weekday)
                .and_then(|row| row.get(hour))
                .copied()
                .unwrap_or(0);
            let level = if count == 0 || max == 0 {
                0
            } else {
                (4 * count).div_ceil(max).clamp(1, 4)
            };
            cells.push(HeatCell {
                x: GRID_LEFT + CELL * u32::try_from(hour).unwrap_or(0),
                y: GRID_TOP + CELL * u32::try_from(weekday).unwrap_or(0),
                weekday,
                hour,
                count,
                level,
            });
        }
    }
    cells
}

/// The missed-calls heat grid.
#[component]
pub fn MissedHeatGrid(grid: Vec<Vec<u32>>, title: String) -> impl IntoView {
    let cells = heat_cells(&grid);
    let total: u32 = cells.iter().map(|c| c.count).sum();
    let busiest = cells.iter().max_by_key(|c| c.count).filter(|c| c.count > 0);
    let desc = match busiest {
        Some(c) => format!(
            "{total} missed calls; the most, {}, on {} at {:02}:00.",
            c.count,
            WEEKDAYS.get(c.weekday).copied().unwrap_or(""),
            c.hour
        ),
        None => "No missed calls in this period.".to_owned(),
    };
    let width = GRID_LEFT + CELL * 24;
    let height = GRID_TOP + CELL * 7;
    let rows = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let y = GRID_TOP + CELL * u32::try_from(i).unwrap_or(0) + CELL / 2 + 4;
            view! { <text x=(GRID_LEFT - 6).to_string() y=y.to_string() class="chart-axis-label" text-anchor="end">{*d}</text> }
        })
        .collect_view();
    let hours = (0..24_u32)
        .step_by(3)
        .map(|h| {
            let x = GRID_LEFT + CELL * h + CELL / 2;
            view! { <text x=x.to_string() y="12" class="chart-axis-label" text-anchor="middle">{format!("{h:02}")}</text> }
        })
        .collect_view();
    let squares = cells
        .into_iter()
        .map(|c| {
            let tip = format!(
                "{} {:02}:00–{:02}:00: {} missed",
                WEEKDAYS.get(c.weekday).copied().unwrap_or(""),
                c.hour,
                c.hour + 1,
                c.count
            );
            view! {
                <rect
                    x=c.x.to_string()
                    y=c.y.to_string()
                    width=(CELL - 2).to_string()
                    height=(CELL - 2).to_string()
                    rx="3"
                    class=format!("heat heat-{}", c.level)
                    data-count=c.count.to_string()
                >
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart chart-heat"
            id="chart-missed-by-hour"
            viewBox=format!("0 0 {width} {height}")
            role="img"
            aria-labelledby="chart-missed-title chart-missed-desc"
        >
            <title id="chart-missed-title">{title}</title>
            <desc id="chart-missed-desc">{desc}</desc>
            {rows}
            {hours}
            {squares}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn day(d: u32, answered: u32, missed: u32) -> DayCounts {
        DayCounts {
            day: NaiveDate::from_ymd_opt(2025, 3, d).unwrap_or_default(),
            answered,
            missed,
            ..DayCounts::default()
        }
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(1), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(120), 200);
    }

    #[test]
    fn bars_stack_from_the_axis_and_scale_to_the_top() {
        let chart = stacked_bars(&[day(1, 3, 2), day(2, 0, 0), day(3, 10, 0)]);
        assert_eq!(chart.max, 10);
        assert_eq!(chart.bars.len(), 3);
        let first = &chart.bars[0];
        assert_eq!(first.total, 5);
        assert_eq!(first.label, "Mar 1");
        assert_eq!(first.segments.len(), 2);
        let (a, m) = (&first.segments[0], &first.segments[1]);
        assert_eq!(
            (a.kind, m.kind),
            (OutcomeKind::Answered, OutcomeKind::Missed)
        );
        let floor = f64::from(BAR_HEIGHT - BOTTOM);
        assert!(
            (a.y + a.height - floor).abs() < 1e-9,
            "answered sits on the axis"
        );
        assert!(
            (m.y + m.height - a.y).abs() < 1e-9,
            "missed sits on answered"
        );
        // Half the scale: half the plot's height.
        let plot = f64::from(BAR_HEIGHT - BOTTOM - TOP);
        assert!((a.height + m.height - plot / 2.0).abs() < 1e-9);
        assert!(chart.bars[1].segments.is_empty());
        let full = &chart.bars[2].segments[0];
        assert!(
            (full.y - f64::from(TOP)).abs() < 1e-9,
            "the busiest day reaches the top"
        );
        // Bars stay inside the box and do not overlap.
        assert!(chart.bars.windows(2).all(|w| w[0]
            .segments
            .first()
            .is_none_or(|s| s.x + s.width <= w[1].label_x)));
    }

    #[test]
    fn thirty_days_label_every_fifth_ending_today() {
        let days: Vec<DayCounts> = (1..=30).map(|d| day(d, 1, 0)).collect();
        let chart = stacked_bars(&days);
        let shown: Vec<&str> = chart
            .bars
            .iter()
            .filter(|b| b.show_label)
            .map(|b| b.label.as_str())
            .collect();
        assert_eq!(
            shown,
            ["Mar 5", "Mar 10", "Mar 15", "Mar 20", "Mar 25", "Mar 30"]
        );
    }

    #[test]
    fn the_heat_grid_shades_by_share_of_the_busiest_hour() {
        let mut grid = vec![vec![0_u32; 24]; 7];
        grid[0][9] = 8;
        grid[6][23] = 1;
        grid[2][12] = 4;
        let cells = heat_cells(&grid);
        assert_eq!(cells.len(), 168);
        let at = |w: usize, h: usize| cells.iter().find(|c| c.weekday == w && c.hour == h);
        assert_eq!(at(0, 9).map(|c| c.level), Some(4));
        assert_eq!(at(2, 12).map(|c| c.level), Some(2));
        assert_eq!(at(6, 23).map(|c| c.level), Some(1));
        assert_eq!(at(3, 3).map(|c| c.level), Some(0));
        assert_eq!(
            at(6, 23).map(|c| (c.x, c.y)),
            Some((GRID_LEFT + CELL * 23, GRID_TOP + CELL * 6))
        );
        assert!(heat_cells(&[]).iter().all(|c| c.level == 0));
    }
}
