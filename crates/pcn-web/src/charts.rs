//! SVG charts drawn on the server: `maud` markup for the web pages, with no JavaScript, web
//! fonts or CDN (the machine may be offline).
//!
//! Every chart is one self-contained `<svg>` element that:
//!
//! * has a `viewBox` (about 680 units wide) and no fixed width, so CSS `width: 100%` makes it
//!   responsive; text is at least 11 units tall so it stays readable on a phone;
//! * is accessible: `role="img"`, a `<title>` and a `<desc>` that sums the data up in words
//!   ("4 bars; largest DEMO HEALTH PCN 66,437; 2 under 30,000 minimum"), tied together by
//!   `aria-labelledby` ids made from a slug of the title plus a short hash of the content, so
//!   two charts on one page never share ids;
//! * prints well: shapes have a stroke as well as a fill, nothing relies on a background
//!   colour, and flagged bars carry a text marker (⚠ warning, ✖ error) so colour is never the
//!   only cue;
//! * carries class names (`bar`, `bar-warning`, `bar-error`, `ref-line`, `axis`, `grid`, `col`,
//!   `dot`, `legend`, ...) for page CSS *and* explicit `fill`/`stroke` attributes, so it also
//!   looks right on its own;
//! * is built with maud's `html!`, so every text and attribute value goes through maud's
//!   escaping (user text is first cleaned of the characters XML 1.0 forbids) and every SVG
//!   element has an end tag; it is deterministic (same input, same markup) and never panics:
//!   empty slices, zeros, extreme values and NaN coordinates all give a valid SVG, saying
//!   "No data" when there is nothing to draw.
//!
//! Money comes in as `i64` pence and is formatted with integer arithmetic only; floats are used
//! for geometry alone, rounded to one decimal place to keep the markup small.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use maud::{html, Markup};

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

const TEXT: &str = "#222222";
const DARK: &str = "#333333";
const GRID: &str = "#d0d0d0";
const GREY: &str = "#999999";
const WARN: &str = "#E69F00";
const ERR: &str = "#D55E00";
/// Okabe–Ito, safe for the common colour-vision deficiencies. Yellow comes late because it is
/// weak on white; map dots get a dark outline for that reason.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// The explicit paint of a shape or a line: `fill` (left off a bare line), `stroke`, its width
/// and dashes (left off a solid line).
#[derive(Clone, Copy)]
struct Paint<'a> {
    fill: Option<&'a str>,
    stroke: &'a str,
    width: f64,
    dash: Option<&'static str>,
}

/// Filled (or `"none"`) and outlined.
fn stroked<'a>(fill: &'a str, stroke: &'a str, width: f64) -> Paint<'a> {
    let (fill, dash) = (Some(fill), None);
    Paint {
        fill,
        stroke,
        width,
        dash,
    }
}

/// A dashed line with no fill attribute.
fn dashed<'a>(stroke: &'a str, width: f64, dash: &'static str) -> Paint<'a> {
    let (fill, dash) = (None, Some(dash));
    Paint {
        fill,
        stroke,
        width,
        dash,
    }
}

/// How a `<text>` is set: anchor, size, weight, colour and a white halo behind it.
#[derive(Clone, Copy)]
struct Font {
    anchor: Option<&'static str>,
    size: Option<u8>,
    bold: bool,
    fill: Option<&'static str>,
    halo: bool,
}

/// The chart's own font: no attributes of its own.
const PLAIN: Font = Font {
    anchor: None,
    size: None,
    bold: false,
    fill: None,
    halo: false,
};
const END: Font = Font {
    anchor: Some("end"),
    ..PLAIN
};
const MID: Font = Font {
    anchor: Some("middle"),
    ..PLAIN
};
const END11: Font = Font {
    size: Some(11),
    ..END
};
const MID11: Font = Font {
    size: Some(11),
    ..MID
};
const HEADING: Font = Font {
    size: Some(14),
    bold: true,
    ..PLAIN
};
const SUM_LABEL: Font = Font {
    bold: true,
    fill: Some(ERR),
    halo: true,
    ..PLAIN
};

/// How a bar is flagged (drives its colour and a text marker so colour is not the only cue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Ok,
    Warning,
    Error,
}

/// One row of [`list_size_bars`].
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
    pub flag: Flag,
}

/// One column of [`monthly_columns`]: an amount in pence, negative for money clawed back.
pub struct Column {
    pub label: String,
    pub pence: i64,
}

/// One month of [`arrs_budget`]: cumulative claimable spend to the end of the month.
pub struct BudgetMonth {
    pub label: String,
    pub cumulative_pence: i64,
    pub elapsed: bool,
}

/// One practice on [`practice_map`]; `group` indexes the group names (e.g. its network).
pub struct MapPoint {
    pub lat: f64,
    pub lon: f64,
    pub group: usize,
    pub label: String,
    pub href: Option<String>,
}

/// A colour-blind-safe categorical palette (Okabe–Ito, eight colours), cycling.
pub fn palette(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// "£1,234.56" from pence, with thousands separators and a minus sign for negatives.
pub fn pounds(pence: i64) -> String {
    pounds_wide(pence.into())
}

fn pounds_wide(pence: i128) -> String {
    let (sign, abs) = (if pence < 0 { "-" } else { "" }, pence.unsigned_abs());
    format!("{sign}£{}.{:02}", thousands(abs / 100), abs % 100)
}

/// "66,437".
fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let lead = digits.len() % 3;
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % 3 == lead {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Short money for axes and column tops: "£0", "£750", "£5k", "£12.5k", "£1.2m", rounded half
/// up to at most `decimals` places, trailing zeros dropped.
fn money_short(pence: i128, decimals: u32) -> String {
    let (abs, p10) = (pence.unsigned_abs(), 10u128.pow(decimals));
    let scaled = |unit: u128| (abs * p10 + unit / 2) / unit;
    let (mut n, mut suffix) = (scaled(100), "");
    if abs >= 100_000 {
        (n, suffix) = (scaled(100_000), "k");
    }
    if abs >= 100_000_000 || suffix == "k" && n >= 1000 * p10 {
        (n, suffix) = (scaled(100_000_000), "m");
    }
    let sign = if pence < 0 && n > 0 { "-" } else { "" };
    let frac = format!("{:01$}", n % p10, decimals as usize);
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{sign}£{}{dot}{frac}{suffix}", thousands(n / p10))
}

/// `s` without the characters XML 1.0 forbids: tab, newline and carriage return become a
/// space; other controls below U+0020, U+FFFE and U+FFFF are dropped. Cleaning, not escaping:
/// maud escapes what this returns.
fn clean(s: &str) -> Cow<'_, str> {
    let forbidden = |c: char| (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}';
    if !s.contains(forbidden) {
        return Cow::Borrowed(s);
    }
    let kept = |c: char| match c {
        '\t' | '\n' | '\r' => Some(' '),
        c if forbidden(c) => None,
        c => Some(c),
    };
    Cow::Owned(s.chars().filter_map(kept).collect())
}

/// At most `max` characters (not bytes), ending in "…" when cut. Plain text: whatever draws
/// it cleans and escapes it.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut + "…"
}

/// A coordinate rounded to one decimal; non-finite becomes 0 so the SVG stays valid.
fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.is_finite() && r != 0.0 {
        format!("{r}")
    } else {
        "0".to_string()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn pick<T>(cond: bool, yes: T, no: T) -> T {
    if cond {
        yes
    } else {
        no
    }
}

/// `inner` wrapped in `<a href>`, unless there is no link or a browser would run it as script.
fn linked(href: &Option<String>, inner: Markup) -> Markup {
    let href = href.as_deref().unwrap_or("").trim();
    let squashed = href.replace(|c: char| c.is_whitespace() || c.is_control(), "");
    let squashed = squashed.to_ascii_lowercase();
    let bad = ["javascript:", "vbscript:", "data:"].map(|b| squashed.starts_with(b));
    let link = !squashed.is_empty() && !bad.contains(&true);
    html! {
        @if link {
            a href=(clean(href)) { (inner) }
        } @else {
            (inner)
        }
    }
}

/// "chart-pcn-list-sizes-1a2b3c4d": a slug of the title plus an FNV-1a hash of the content
/// (stable across Rust releases, unlike `DefaultHasher`).
fn chart_id(kind: &str, title: &str, content: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = kind.bytes().chain([0]).chain(title.bytes()).chain([0]);
    for b in bytes.chain(content.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut slug = String::from("chart-");
    for c in title.chars().flat_map(char::to_lowercase).take(40) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    format!("{slug}-{:08x}", (h >> 32) as u32 ^ h as u32)
}

/// A whole chart: the `<svg>` element with its `<title>`, `<desc>` and a visible heading,
/// around `body`.
fn frame(
    kind: &str,
    id: &str,
    size: (f64, f64),
    (title, desc): (&str, &str),
    body: Markup,
) -> Markup {
    let title = pick(title.trim().is_empty(), "Chart", title);
    let view_box = format!("0 0 {} {}", f(size.0), f(size.1));
    // A plain class per kind too, for style sheets and tests.
    let plain = match kind {
        "bars" => "bars",
        "columns" => "monthly",
        "budget" => "budget",
        "map" => "map",
        "appointments" => "appointments",
        _ => "",
    };
    html! {
        svg xmlns="http://www.w3.org/2000/svg" "viewBox"=(view_box) role="img"
            "aria-labelledby"={ (id) "-title " (id) "-desc" }
            class={ "chart chart-" (kind) " " (plain) }
            "font-family"="system-ui, sans-serif" "font-size"="12" fill=(TEXT) {
            title id={ (id) "-title" } { (clean(title)) }
            desc id={ (id) "-desc" } { (clean(desc)) }
            (text("chart-title", (8.0, 20.0), HEADING, &short(title, 80)))
            (body)
        }
    }
}

/// A whole chart that says "No data".
fn no_data(kind: &str, id: &str, title: &str, desc: &str) -> Markup {
    let body = text("no-data", (340.0, 72.0), MID, "No data");
    frame(kind, id, (680.0, 120.0), (title, desc), body)
}

/// `<line>` from (x1, y1) to (x2, y2).
fn line(class: &str, [x1, y1, x2, y2]: [f64; 4], paint: Paint) -> Markup {
    let Paint {
        fill,
        stroke,
        width,
        dash,
    } = paint;
    html! {
        line class=(class) x1=(f(x1)) y1=(f(y1)) x2=(f(x2)) y2=(f(y2)) fill=[fill] stroke=(stroke)
            "stroke-width"=(f(width)) "stroke-dasharray"=[dash] {}
    }
}

/// `<text>`; `body` is plain text, cleaned here and escaped by maud.
fn text(class: &str, (x, y): (f64, f64), font: Font, body: &str) -> Markup {
    let Font {
        anchor,
        size,
        bold,
        fill,
        halo,
    } = font;
    html! {
        text class=(class) x=(f(x)) y=(f(y)) "text-anchor"=[anchor] "font-size"=[size]
            "font-weight"=[bold.then_some("bold")] fill=[fill] stroke=[halo.then_some("#ffffff")]
            "stroke-width"=[halo.then_some(3)] "paint-order"=[halo.then_some("stroke")] {
            (clean(body))
        }
    }
}

/// `<rect>` with a hover `<title>` (plain text) unless `tip` is empty.
fn rect(class: &str, [x, y, wd, ht]: [f64; 4], paint: Paint, tip: &str) -> Markup {
    let (fill, stroke, width) = (paint.fill, paint.stroke, f(paint.width));
    html! {
        rect class=(class) x=(f(x)) y=(f(y)) width=(f(wd)) height=(f(ht)) fill=[fill]
            stroke=(stroke) "stroke-width"=(width) "stroke-dasharray"=[paint.dash] {
            @if !tip.is_empty() {
                title { (clean(tip)) }
            }
        }
    }
}

// ------------------------------------------------------------------ horizontal bars

const B_W: f64 = 680.0;
const B_X0: f64 = 204.0;
const B_PLOT_W: f64 = 376.0;
const B_ROW: f64 = 24.0;

/// Horizontal bars, one row per item (e.g. networks by registered list size), with optional
/// dashed reference lines (e.g. the 30,000 minimum and 50,000 indicative maximum), labelled.
/// Each bar is wrapped in <a href> when href is Some. Value printed at the bar end with thousands separators.
pub fn list_size_bars(title: &str, bars: &[Bar], reference_lines: &[(u64, &str)]) -> Markup {
    let lines = reference_lines;
    let mut key = format!("{lines:?}");
    for b in bars {
        let (label, value, href, flag) = (&b.label, b.value, &b.href, b.flag);
        w!(key, "\u{2}{label}\u{1}{value}\u{1}{href:?}\u{1}{flag:?}");
    }
    let id = chart_id("bars", title, &key);
    let desc = bars_desc(bars, lines);
    if bars.is_empty() {
        return no_data("bars", &id, title, &desc);
    }
    let values = bars.iter().map(|b| b.value);
    let max = values.chain(lines.iter().map(|r| r.0)).max();
    let max = max.unwrap_or(0).max(1) as f64;
    let xs = |v: u64| B_X0 + v as f64 / max * B_PLOT_W;
    let top = if lines.is_empty() { 36.0 } else { 64.0 };
    let bottom = top + bars.len() as f64 * B_ROW;
    let body = html! {
        (line("axis", [B_X0, top - 4.0, B_X0, bottom], stroked("none", DARK, 1.0)))
        @for (i, b) in bars.iter().enumerate() {
            (bar_row(b, top + i as f64 * B_ROW, xs(b.value)))
        }
        @for (k, &(v, label)) in lines.iter().enumerate() {
            @let (x, y) = (xs(v), top - 12.0 - (k % 2) as f64 * 13.0);
            (line("ref-line", [x, top - 8.0, x, bottom], dashed(DARK, 1.5, "6 4")))
            @let anchor = pick(x > B_W - 90.0, END11, MID11);
            @let body = pick(label.trim().is_empty(), thousands(v.into()), label.to_string());
            (text("ref-label", (x, y), anchor, &body))
        }
    };
    frame("bars", &id, (B_W, bottom + 12.0), (title, &desc), body)
}

/// One bar at `y` ending at `end`: its label, the bar and its value, linked when it has a link.
fn bar_row(b: &Bar, y: f64, end: f64) -> Markup {
    let (class, fill, marker) = match b.flag {
        Flag::Ok => ("bar bar-ok", palette(0), ""),
        Flag::Warning => ("bar bar-warning", WARN, " ⚠"),
        Flag::Error => ("bar bar-error", ERR, " ✖"),
    };
    let paint = stroked(fill, DARK, pick(b.flag == Flag::Ok, 1.0, 2.0));
    let value = thousands(b.value.into()) + marker;
    let tip = format!("{}: {value}", b.label);
    let inner = html! {
        (text("bar-label", (B_X0 - 6.0, y + 16.0), END, &short(&b.label, 24)))
        (rect(class, [B_X0, y + 4.0, end - B_X0, 16.0], paint, &tip))
        (text("bar-value", (end + 5.0, y + 16.0), PLAIN, &value))
    };
    linked(&b.href, inner)
}

fn bars_desc(bars: &[Bar], lines: &[(u64, &str)]) -> String {
    let n = bars.len();
    let mut d = format!("{n} bar{}", plural(n));
    if let Some(b) = bars.iter().rev().max_by_key(|b| b.value) {
        w!(d, "; largest {} {}", b.label, thousands(b.value.into()));
    }
    // "30,000 minimum" from (30_000, "minimum"), and from a label that already names its value.
    let named = |v: u64, l: &str| {
        let (value, label) = (thousands(v.into()), l.trim());
        if label.starts_with(&value) {
            label.to_string()
        } else {
            format!("{value} {label}")
        }
    };
    if let Some(&(v, l)) = lines.iter().min_by_key(|r| r.0) {
        let under = bars.iter().filter(|b| b.value < v).count();
        w!(d, "; {under} under {}", named(v, l).trim_end());
    }
    let highest = lines.iter().max_by_key(|r| r.0);
    if let Some(&(v, l)) = highest.filter(|_| lines.len() > 1) {
        let over = bars.iter().filter(|b| b.value > v).count();
        w!(d, "; {over} over {}", named(v, l).trim_end());
    }
    let count = |flag| bars.iter().filter(|b| b.flag == flag).count();
    let (warnings, errors) = (count(Flag::Warning), count(Flag::Error));
    if warnings + errors > 0 {
        let (pw, pe) = (plural(warnings), plural(errors));
        w!(d, "; flagged: {warnings} warning{pw}, {errors} error{pe}");
    }
    d
}

// ------------------------------------------------------------------ vertical columns

const C_W: f64 = 680.0;
const C_LEFT: f64 = 72.0;
const C_RIGHT: f64 = 664.0;
const C_TOP: f64 = 48.0;

/// A y axis in pence from `lo <= 0` to `hi >= 0`, both multiples of a nice `step` (1, 2, 2.5 or
/// 5 times a power of ten), with 2–4 steps in all: 3–5 gridlines.
struct YScale {
    lo: i128,
    hi: i128,
    step: i128,
    bottom: f64,
}

impl YScale {
    fn new(values: impl Iterator<Item = i128> + Clone, bottom: f64) -> Self {
        let lo = values.clone().min().unwrap_or(0).min(0);
        let hi = values.max().unwrap_or(0).max(0);
        let hi = pick(lo == 0 && hi == 0, 100, hi);
        let ceil = |a: i128, b: i128| (a + b - 1) / b;
        let fits = |step: i128| ceil(hi, step) + ceil(-lo, step) <= 4;
        let mut step = hi - lo;
        let mut p: i128 = 1;
        'search: for _ in 0..24 {
            for (j, candidate) in [p, 2 * p, 5 * p / 2, 5 * p].into_iter().enumerate() {
                if (j != 2 || p > 1) && fits(candidate) {
                    step = candidate;
                    break 'search;
                }
            }
            p *= 10;
        }
        let (lo, hi) = (-ceil(-lo, step) * step, ceil(hi, step) * step);
        YScale {
            lo,
            hi,
            step,
            bottom,
        }
    }

    fn y(&self, v: i128) -> f64 {
        let t = (v - self.lo) as f64 / (self.hi - self.lo) as f64;
        self.bottom - t * (self.bottom - C_TOP)
    }

    /// Gridlines labelled "£5k" and so on.
    fn grid(&self) -> Markup {
        self.grid_with(|t| money_short(t, 2))
    }

    /// Gridlines labelled by `label`.
    fn grid_with(&self, label: impl Fn(i128) -> String) -> Markup {
        let next = |t: &i128| Some(t + self.step);
        let ticks = std::iter::successors(Some(self.lo), next).take_while(|t| *t <= self.hi);
        html! {
            @for t in ticks {
                @let y = self.y(t);
                @if t != 0 {
                    (line("grid", [C_LEFT, y, C_RIGHT, y], stroked("none", GRID, 1.0)))
                }
                (text("axis-label", (C_LEFT - 6.0, y + 4.0), END11, &label(t)))
            }
        }
    }

    fn zero_line(&self) -> Markup {
        let y = self.y(0);
        line(
            "axis zero-line",
            [C_LEFT, y, C_RIGHT, y],
            stroked("none", DARK, 1.5),
        )
    }
}

/// A column to draw: label, pence, class and paint.
type Col<'a> = (&'a str, i64, &'static str, Paint<'a>);

fn draw_columns(cols: &[Col], s: &YScale, value_labels: bool) -> Markup {
    let band = (C_RIGHT - C_LEFT) / cols.len().max(1) as f64;
    let bw = band * 0.7;
    let every = ((28.0 / band).ceil() as usize).max(1);
    let max_chars = ((band * every as f64 / 7.0) as usize).max(3);
    let y0 = s.y(0);
    html! {
        @for (i, &(label, pence, class, paint)) in cols.iter().enumerate() {
            @let v = i128::from(pence);
            @let (x, yv) = (C_LEFT + i as f64 * band + (band - bw) / 2.0, s.y(v));
            @let (y, h) = pick(v >= 0, (yv, y0 - yv), (y0, yv - y0));
            (rect(class, [x, y, bw, h], paint, &format!("{label}: {}", pounds(pence))))
            @let cx = x + bw / 2.0;
            @if value_labels && band >= 40.0 {
                @let ty = pick(v >= 0, yv, y0) - 4.0;
                (text("col-value", (cx, ty), MID11, &money_short(v, 1)))
            }
            @if i % every == 0 {
                (text("col-label", (cx, s.bottom + 16.0), MID11, &short(label, max_chars)))
            }
        }
    }
}

/// Vertical columns, e.g. a funding statement's twelve monthly payments (Apr..Mar), y axis in pounds
/// with 3–5 nice gridlines labelled like "£0", "£5k", "£12.5k", "£1.2m". Negative values (arrears clawed back) drawn below a zero line.
pub fn monthly_columns(title: &str, columns: &[Column]) -> Markup {
    let mut key = String::new();
    for c in columns {
        w!(key, "\u{2}{}\u{1}{}", c.label, c.pence);
    }
    let id = chart_id("columns", title, &key);
    let n = columns.len();
    let mut desc = format!("{n} month{}", plural(n));
    let total: i128 = columns.iter().map(|c| i128::from(c.pence)).sum();
    if let Some(c) = columns.iter().rev().max_by_key(|c| c.pence) {
        let (total, top) = (pounds_wide(total), pounds(c.pence));
        w!(desc, "; total {total}; highest {} {top}", c.label);
    }
    let negatives = columns.iter().filter(|c| c.pence < 0).count();
    let lowest = columns.iter().min_by_key(|c| c.pence);
    if let Some(c) = lowest.filter(|_| negatives > 0) {
        let (label, amount) = (&c.label, pounds(c.pence));
        w!(desc, "; {negatives} negative, lowest {label} {amount}");
    }
    if columns.is_empty() {
        return no_data("columns", &id, title, &desc);
    }
    let s = YScale::new(columns.iter().map(|c| i128::from(c.pence)), 276.0);
    let (pos, neg) = (stroked(PALETTE[0], DARK, 1.0), stroked(ERR, DARK, 1.0));
    let cols: Vec<Col> = columns
        .iter()
        .map(|c| {
            let (class, paint) = pick(c.pence < 0, ("col col-negative", neg), ("col", pos));
            (c.label.as_str(), c.pence, class, paint)
        })
        .collect();
    let body = html! {
        (s.grid())
        (draw_columns(&cols, &s, true))
        (s.zero_line())
    };
    frame("columns", &id, (C_W, 300.0), (title, &desc), body)
}

/// The ARRS budget: cumulative claimable spend by month as columns (elapsed months solid, future "committed"
/// months hatched/lighter, with a legend saying so), and the year's ARRS Sum as a horizontal line labelled
/// "ARRS Sum £x" when known. Axis scaled to max(sum, max cumulative).
pub fn arrs_budget(title: &str, months: &[BudgetMonth], sum_pence: Option<i64>) -> Markup {
    let mut key = format!("{sum_pence:?}");
    for m in months {
        let (label, pence, elapsed) = (&m.label, m.cumulative_pence, m.elapsed);
        w!(key, "\u{2}{label}\u{1}{pence}\u{1}{elapsed}");
    }
    let id = chart_id("budget", title, &key);
    let desc = budget_desc(months, sum_pence);
    if months.is_empty() {
        return no_data("budget", &id, title, &desc);
    }
    let values = months.iter().map(|m| i128::from(m.cumulative_pence));
    let s = YScale::new(values.chain(sum_pence.map(i128::from)), 290.0);
    let (blue, hatch) = (PALETTE[0], format!("url(#{id}-hatch)"));
    let (solid, hatched) = (stroked(blue, DARK, 1.0), stroked(&hatch, blue, 1.0));
    let cols: Vec<Col> = months
        .iter()
        .map(|m| {
            let elapsed = ("col col-elapsed", solid);
            let (class, paint) = pick(m.elapsed, elapsed, ("col col-committed", hatched));
            (m.label.as_str(), m.cumulative_pence, class, paint)
        })
        .collect();
    let dash = dashed(ERR, 2.0, "8 4");
    let keys = [
        (0.0, solid, "Claimed (elapsed months)"),
        (190.0, hatched, "Committed (future months)"),
    ];
    let body = html! {
        defs {
            pattern id={ (id) "-hatch" } width="6" height="6" "patternUnits"="userSpaceOnUse"
                "patternTransform"="rotate(45)" {
                line x1="0" y1="0" x2="0" y2="6" stroke=(blue) "stroke-width"="2.5" {}
            }
        }
        (s.grid())
        (draw_columns(&cols, &s, false))
        (s.zero_line())
        @if let Some(sum) = sum_pence {
            @let y = s.y(sum.into());
            (line("ref-line sum-line", [C_LEFT, y, C_RIGHT, y], dash))
            @let label = format!("ARRS Sum {}", pounds(sum));
            (text("ref-label sum-label", (C_LEFT + 6.0, y - 6.0), SUM_LABEL, &label))
        }
        g class="legend" "font-size"="11" {
            @for (dx, paint, label) in keys {
                @let x = C_LEFT + dx;
                (rect("legend-key", [x, 313.0, 14.0, 10.0], paint, ""))
                (text("legend-label", (x + 20.0, 322.0), PLAIN, label))
            }
            @if sum_pence.is_some() {
                @let x = C_LEFT + 390.0;
                (line("legend-key", [x, 318.0, x + 24.0, 318.0], dash))
                (text("legend-label", (x + 30.0, 322.0), PLAIN, "ARRS Sum"))
            }
        }
    };
    frame("budget", &id, (C_W, 340.0), (title, &desc), body)
}

/// "3 months, 2 elapsed; claimed to date £…; committed by Jun £…; ARRS Sum £…; headroom £…".
fn budget_desc(months: &[BudgetMonth], sum_pence: Option<i64>) -> String {
    let (n, elapsed) = (months.len(), months.iter().filter(|m| m.elapsed).count());
    let claimed = months.iter().rev().find(|m| m.elapsed);
    let claimed = pounds(claimed.map_or(0, |m| m.cumulative_pence));
    let s = plural(n);
    let mut desc = format!("{n} month{s}, {elapsed} elapsed; claimed to date {claimed}");
    if let Some(last) = months.last() {
        let (label, amount) = (&last.label, pounds(last.cumulative_pence));
        w!(desc, "; committed by {label} {amount}");
    }
    let committed = i128::from(months.last().map_or(0, |m| m.cumulative_pence));
    match sum_pence {
        Some(sum) => {
            let room = i128::from(sum) - committed;
            let (sum, by) = (pounds(sum), pounds_wide(room.abs()));
            let verdict = pick(room >= 0, "headroom", "over it by");
            w!(desc, "; ARRS Sum {sum}; {verdict} {by}");
        }
        None => desc.push_str("; ARRS Sum not known"),
    }
    desc
}

// ------------------------------------------------------------------ appointments

/// One month of [`appointments_against_2019`]: its appointments, and those
/// of the same calendar month of 2019 when known.
pub struct AppointmentMonth {
    pub label: String,
    pub appointments: Option<u64>,
    pub same_month_2019: Option<u64>,
}

/// Short counts for axes: "0", "750", "5k", "12.5k", "1.2m" (half up, at
/// most one decimal, trailing zeros dropped).
fn count_short(n: i128) -> String {
    let (sign, abs) = (if n < 0 { "-" } else { "" }, n.unsigned_abs());
    let (unit, suffix) = match abs {
        0..=999 => (1, ""),
        1_000..=999_999 => (1_000, "k"),
        _ => (1_000_000, "m"),
    };
    let tenths = (abs * 10 + unit / 2) / unit;
    let frac = pick(tenths % 10 == 0, String::new(), format!(".{}", tenths % 10));
    format!("{sign}{}{frac}{suffix}", thousands(tenths / 10))
}

fn appointments_desc(months: &[AppointmentMonth]) -> String {
    let known: Vec<&AppointmentMonth> =
        months.iter().filter(|m| m.appointments.is_some()).collect();
    let (Some(first), Some(last)) = (known.first(), known.last()) else {
        return "no appointment figures".to_string();
    };
    let n = known.len();
    let mut d = format!(
        "{n} month{} of appointments, {} to {}",
        plural(n),
        first.label,
        last.label
    );
    let count = |v: Option<u64>| thousands(v.unwrap_or(0).into());
    w!(d, "; {}: {}", last.label, count(last.appointments));
    if let (Some(a), Some(b)) = (last.appointments, last.same_month_2019) {
        let change = i128::from(a) - i128::from(b);
        let sign = pick(change < 0, "-", "+");
        let by = thousands(change.unsigned_abs());
        w!(
            d,
            " against {} in the same month of 2019 ({sign}{by})",
            thousands(b.into())
        );
    }
    let compared: Vec<(u64, u64)> = known
        .iter()
        .filter_map(|m| m.appointments.zip(m.same_month_2019))
        .collect();
    let above = compared.iter().filter(|(a, b)| a > b).count();
    w!(
        d,
        "; {above} of {} months compared above the same month of 2019",
        compared.len()
    );
    if let Some(top) = known.iter().rev().max_by_key(|m| m.appointments) {
        w!(d, "; highest {} {}", top.label, count(top.appointments));
    }
    d
}

/// Monthly appointments as columns, each with a dark tick at the same
/// calendar month of 2019 (the pledge's baseline), counts on the y axis.
/// Columns above their tick are months ahead of 2019.
pub fn appointments_against_2019(title: &str, months: &[AppointmentMonth]) -> Markup {
    let mut key = String::new();
    for m in months {
        w!(
            key,
            "\u{2}{}\u{1}{:?}\u{1}{:?}",
            m.label,
            m.appointments,
            m.same_month_2019
        );
    }
    let id = chart_id("appointments", title, &key);
    let desc = appointments_desc(months);
    if months.iter().all(|m| m.appointments.is_none()) {
        return no_data("appointments", &id, title, &desc);
    }
    let wide = |v: Option<u64>| i128::from(v.unwrap_or(0));
    let values = months
        .iter()
        .flat_map(|m| [wide(m.appointments), wide(m.same_month_2019)]);
    let s = YScale::new(values, 276.0);
    let band = (C_RIGHT - C_LEFT) / months.len().max(1) as f64;
    let bw = (band * 0.7).max(1.0);
    // A label every so many months, so that labels at 11 units (about 6.8
    // units a character) keep 12 units apart rather than running together.
    let longest = months.iter().map(|m| short(&m.label, 8).chars().count());
    let gap = longest.max().unwrap_or(0) as f64 * 6.8 + 12.0;
    let every = ((gap / band).ceil() as usize).max(1);
    let (col, tick) = (
        stroked(PALETTE[0], PALETTE[0], 0.5),
        stroked("none", DARK, 2.0),
    );
    let body = html! {
        (s.grid_with(count_short))
        @for (i, m) in months.iter().enumerate() {
            @let x = C_LEFT + i as f64 * band + (band - bw) / 2.0;
            @if let Some(a) = m.appointments {
                @let y = s.y(a.into());
                @let tip = format!("{}: {} appointments", m.label, thousands(a.into()));
                (rect("col", [x, y, bw, s.y(0) - y], col, &tip))
            }
            @if let Some(b) = m.same_month_2019 {
                @let y = s.y(b.into());
                (line("baseline-tick", [x - 1.0, y, x + bw + 1.0, y], tick))
            }
            @if i % every == 0 {
                @let label = short(&m.label, 8);
                (text("col-label", (x + bw / 2.0, s.bottom + 16.0), MID11, &label))
            }
        }
        (s.zero_line())
        g class="legend" "font-size"="11" {
            (rect("legend-key", [C_LEFT, 299.0, 14.0, 10.0], col, ""))
            (text("legend-label", (C_LEFT + 20.0, 308.0), PLAIN, "Appointments in the month"))
            @let x = C_LEFT + 220.0;
            (line("legend-key", [x, 304.0, x + 18.0, 304.0], tick))
            (text("legend-label", (x + 24.0, 308.0), PLAIN, "The same month of 2019"))
        }
    };
    frame("appointments", &id, (C_W, 318.0), (title, &desc), body)
}

// ------------------------------------------------------------------ map

const M_W: f64 = 640.0;
const M_TOP: f64 = 32.0;
const M_MARGIN: f64 = 12.0;

/// Where a map's points go: each point's place in the view box, the dot radius and the
/// bottom of the map's frame.
struct MapFit {
    dots: Vec<(f64, f64)>,
    r: f64,
    bottom: f64,
}

impl MapFit {
    /// Projects equirectangularly with longitude scaled by cos(mean latitude), then fits the
    /// spans to the box (a lone point still gets a sane scale) and centres what is there.
    fn new(valid: &[&MapPoint]) -> Self {
        let n = valid.len();
        let mean_lat = valid.iter().map(|p| p.lat).sum::<f64>() / n as f64;
        let k = mean_lat.to_radians().cos().max(0.01);
        let xy: Vec<(f64, f64)> = valid.iter().map(|p| (p.lon * k, -p.lat)).collect();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in &xy {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        let (ax, ay) = (x1 - x0, y1 - y0);
        let (sx, sy) = (ax.max(1e-6), ay.max(1e-6));
        let r = pick(n <= 50, 5.0, pick(n <= 600, 3.5, 2.0));
        let pad = M_MARGIN + r;
        let pw = M_W - 2.0 * pad;
        let ph = (pw * sy / sx).clamp(200.0, 720.0);
        let scale = (pw / sx).min(ph / sy);
        let ox = pad + (pw - ax * scale) / 2.0;
        let oy = M_TOP + pad + (ph - ay * scale) / 2.0;
        let place = |&(x, y): &(f64, f64)| (ox + (x - x0) * scale, oy + (y - y0) * scale);
        let dots = xy.iter().map(place).collect();
        let bottom = M_TOP + ph + 2.0 * pad;
        MapFit { dots, r, bottom }
    }
}

/// A map of practices as dots coloured by network, projected equirectangularly with longitude scaled
/// by cos(mean latitude), fitted to the viewBox with a margin, plus a legend of group names
/// (groups[i] names group i; a group index out of range gets a grey "other"). Points with non-finite
/// coordinates are skipped and the count skipped is said in the <desc>. Each dot has a <title> (its label)
/// for hover and screen readers; wrapped in <a href> when href is Some. Works for 5 points in one town
/// and for 6,000 points across England (keep the output compact: round coordinates to 1 decimal).
///
/// Points beyond ±90° latitude or ±180° longitude are skipped and counted the same way. The
/// legend lists the groups present, with counts, up to 30 of them.
pub fn practice_map(title: &str, points: &[MapPoint], groups: &[String]) -> Markup {
    let mut key = format!("{groups:?}");
    for p in points {
        let (lat, lon, group, label, href) = (p.lat, p.lon, p.group, &p.label, &p.href);
        key += &format!("\u{2}{lat:?}\u{1}{lon:?}\u{1}{group}\u{1}{label}\u{1}{href:?}");
    }
    let id = chart_id("map", title, &key);
    let on_earth = |p: &&MapPoint| p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0;
    let valid: Vec<&MapPoint> = points.iter().filter(on_earth).collect();
    let (n, skipped) = (valid.len(), points.len() - valid.len());
    // Group index (usize::MAX for "other") -> practices in it.
    let group_of = |p: &MapPoint| pick(p.group < groups.len(), p.group, usize::MAX);
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for p in &valid {
        *counts.entry(group_of(p)).or_insert(0) += 1;
    }
    let g = counts.len();
    let mut desc = format!("{n} practice{} in {g} network{}", plural(n), plural(g));
    if skipped > 0 {
        w!(desc, "; {skipped} skipped without valid coordinates");
    }
    if valid.is_empty() {
        return no_data("map", &id, title, &desc);
    }
    let fit = MapFit::new(&valid);
    let (shown, r) = (g.min(30), f(fit.r));
    let rows = shown.div_ceil(3) + usize::from(g > shown);
    let size = (M_W, fit.bottom + 12.0 + rows as f64 * 20.0);
    let frame_box = [M_MARGIN / 2.0, M_TOP, M_W - M_MARGIN, fit.bottom - M_TOP];
    let body = html! {
        (rect("map-frame", frame_box, stroked("none", GRID, 1.0), ""))
        g class="dots" stroke=(DARK) "stroke-width"="0.5" {
            @for (p, &(cx, cy)) in valid.iter().zip(&fit.dots) {
                @let fill = pick(p.group < groups.len(), palette(p.group), GREY);
                @let dot = html! {
                    circle class="dot" cx=(f(cx)) cy=(f(cy)) r=(r) fill=(fill) {
                        title { (clean(&p.label)) }
                    }
                };
                (linked(&p.href, dot))
            }
        }
        (map_legend(&counts, groups, fit.bottom, shown))
    };
    frame("map", &id, size, (title, &desc), body)
}

/// The map's legend below `bottom`: the first `shown` groups with their counts, three a row,
/// then how many more there are.
fn map_legend(
    counts: &BTreeMap<usize, usize>,
    groups: &[String],
    bottom: f64,
    shown: usize,
) -> Markup {
    let more = counts.len() - shown;
    html! {
        g class="legend" "font-size"="11" {
            @for (i, (&group, &count)) in counts.iter().take(shown).enumerate() {
                @let (name, fill) = match groups.get(group) {
                    Some(name) => (short(name, 26), palette(group)),
                    None => ("other".to_string(), GREY),
                };
                @let lx = M_MARGIN + (i % 3) as f64 * 205.0;
                @let ly = bottom + 24.0 + (i / 3) as f64 * 20.0;
                circle class="legend-key" cx=(f(lx + 5.0)) cy=(f(ly - 4.0)) r="5" fill=(fill)
                    stroke=(DARK) "stroke-width"="0.5" {}
                (text("legend-label", (lx + 14.0, ly), PLAIN, &format!("{name} ({count})")))
            }
            @if more > 0 {
                @let y = bottom + 24.0 + shown.div_ceil(3) as f64 * 20.0;
                (text("legend-label", (M_MARGIN, y), PLAIN, &format!("+ {more} more networks")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags balance, quotes pair up and every `&` starts a known entity.
    fn well_formed(svg: &str) -> bool {
        let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
        let ok = |s: &str| {
            s.match_indices('&')
                .all(|(i, _)| entities.iter().any(|e| s[i..].starts_with(e)))
        };
        let (mut stack, mut rest) = (Vec::new(), svg);
        while let Some(i) = rest.find('<') {
            let Some(j) = rest[i..].find('>') else {
                return false;
            };
            let (text, tag) = (&rest[..i], &rest[i + 1..i + j]);
            rest = &rest[i + j + 1..];
            let quotes_paired = tag.matches('"').count() % 2 == 0;
            if text.contains('>') || !ok(text) || !ok(tag) || tag.contains('<') || !quotes_paired {
                return false;
            }
            match tag.strip_prefix('/') {
                Some(name) if stack.pop() != Some(name) => return false,
                None if !tag.ends_with('/') => stack.push(tag.split(' ').next().unwrap_or("")),
                _ => {}
            }
        }
        svg.starts_with("<svg ") && stack.is_empty() && rest.is_empty()
    }

    /// Attribute `name` of every start tag whose class list includes `class`.
    fn all(svg: &str, class: &str, name: &str) -> Vec<f64> {
        let has = |t: &&str| {
            let classes = between(t, "class=\"", "\"");
            classes.split(' ').any(|c| c == class)
        };
        let attr = format!(" {name}=\"");
        let value = |t: &str| between(t, &attr, "\"").parse().unwrap_or(f64::NAN);
        svg.split('<').filter(has).map(value).collect()
    }

    fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
        let after = s.split_once(start).map_or("", |(_, a)| a);
        after.split_once(end).map_or("", |(b, _)| b)
    }

    fn desc(svg: &str) -> &str {
        between(svg, "-desc\">", "</desc>")
    }

    /// A map's dots (their x and their y), each asserted to lie inside
    /// the view box.
    fn dots_in_view(svg: &str) -> (Vec<f64>, Vec<f64>) {
        let ((w, h), cx, cy) = (view_box(svg), all(svg, "dot", "cx"), all(svg, "dot", "cy"));
        assert_eq!(cx.len(), cy.len());
        assert!(cx
            .iter()
            .zip(&cy)
            .all(|(x, y)| *x > 0.0 && *x < w && *y > 0.0 && *y < h));
        (cx, cy)
    }

    fn view_box(svg: &str) -> (f64, f64) {
        let v: Vec<f64> = between(svg, "viewBox=\"", "\"")
            .split(' ')
            .flat_map(str::parse)
            .collect();
        (
            v.get(2).copied().unwrap_or(f64::NAN),
            v.get(3).copied().unwrap_or(f64::NAN),
        )
    }

    fn bar(label: &str, value: u64, flag: Flag) -> Bar {
        let label = label.to_string();
        Bar {
            label,
            value,
            href: None,
            flag,
        }
    }

    fn col(label: &str, pence: i64) -> Column {
        let label = label.to_string();
        Column { label, pence }
    }

    fn month(label: &str, cumulative_pence: i64, elapsed: bool) -> BudgetMonth {
        let label = label.to_string();
        BudgetMonth {
            label,
            cumulative_pence,
            elapsed,
        }
    }

    fn pt(lat: f64, lon: f64, group: usize, label: &str) -> MapPoint {
        let label = label.to_string();
        MapPoint {
            lat,
            lon,
            group,
            label,
            href: None,
        }
    }

    fn sample_bars() -> Vec<Bar> {
        let b = [
            ("DEMO HEALTH PCN", 66_437, Flag::Error),
            ("North", 40_000, Flag::Ok),
        ];
        let c = [("South", 20_000, Flag::Warning), ("East", 10_000, Flag::Ok)];
        b.iter().chain(&c).map(|&(l, v, f)| bar(l, v, f)).collect()
    }

    #[test]
    fn bar_widths_are_proportional_to_value() {
        let svg = list_size_bars("Sizes", &sample_bars(), &[]).into_string();
        assert!(well_formed(&svg), "{svg}");
        let widths = all(&svg, "bar", "width");
        assert_eq!(widths.len(), 4);
        assert!(
            (widths[0] - B_PLOT_W).abs() < 0.11,
            "largest fills the plot: {widths:?}"
        );
        for (w, v) in widths.iter().zip([66_437.0, 40_000.0, 20_000.0, 10_000.0]) {
            assert!((w / widths[0] - v / 66_437.0).abs() < 0.002, "{w} vs {v}");
        }
        assert!(all(&svg, "bar", "x").iter().all(|x| *x == B_X0));
    }

    #[test]
    fn reference_lines_sit_on_the_bar_scale() {
        let refs = [(30_000, "minimum"), (50_000, "indicative maximum")];
        let svg = list_size_bars("Sizes", &sample_bars(), &refs).into_string();
        let (lines, widths) = (all(&svg, "ref-line", "x1"), all(&svg, "bar", "width"));
        assert_eq!(lines.len(), 2);
        let expected = B_X0 + widths[1] * 30_000.0 / 40_000.0;
        assert!(
            (lines[0] - expected).abs() < 0.2,
            "{} vs {expected}",
            lines[0]
        );
        assert!((lines[1] - (B_X0 + 50_000.0 / 66_437.0 * B_PLOT_W)).abs() < 0.11);
        assert!(svg.contains(">indicative maximum</text>") && svg.contains("stroke-dasharray"));
        let d = desc(&svg);
        assert!(
            d.starts_with("4 bars; largest DEMO HEALTH PCN 66,437; 2 under 30,000 min"),
            "{d}"
        );
        assert!(
            d.ends_with("1 over 50,000 indicative maximum; flagged: 1 warning, 1 error"),
            "{d}"
        );
    }

    #[test]
    fn bars_show_values_markers_and_safe_links() {
        let mut bars = sample_bars();
        bars[1].href = Some("/networks/U1?x=1&y=2".into());
        bars[2].href = Some(" Java\tScript:alert(1)".into());
        let svg = list_size_bars("Sizes", &bars, &[]).into_string();
        assert!(svg.contains(">66,437 ✖</text>") && svg.contains(">20,000 ⚠</text>"));
        assert!(svg.contains(">40,000</text>"));
        assert_eq!(all(&svg, "bar-error", "x").len(), 1);
        assert_eq!(all(&svg, "bar-warning", "x").len(), 1);
        assert!(svg.contains(&format!(
            r#"class="bar bar-error" x="204" y="40" width="376" height="16" fill="{ERR}""#
        )));
        assert!(svg.contains(r#"<a href="/networks/U1?x=1&amp;y=2"><text class="bar-label""#));
        assert_eq!(svg.matches("<a ").count(), 1, "script link dropped");
        assert!(well_formed(&svg));
    }

    #[test]
    fn monthly_negative_column_hangs_below_the_zero_line() {
        let cols = [
            col("Apr", 1_250_000),
            col("May", -300_000),
            col("Jun", 900_000),
        ];
        let svg = monthly_columns("Payments", &cols).into_string();
        assert!(well_formed(&svg), "{svg}");
        let zero = all(&svg, "zero-line", "y1")[0];
        let (ys, hs) = (all(&svg, "col", "y"), all(&svg, "col", "height"));
        assert!(
            (ys[0] + hs[0] - zero).abs() < 0.11,
            "positive column stands on zero"
        );
        assert!(
            (ys[1] - zero).abs() < 0.11 && hs[1] > 1.0,
            "negative column hangs below"
        );
        assert!((hs[1] / hs[0] - 300.0 / 1250.0).abs() < 0.01);
        assert_eq!(all(&svg, "col-negative", "y").len(), 1);
        let labels: Vec<&str> = svg
            .split("class=\"axis-label\"")
            .skip(1)
            .map(|t| between(t, ">", "<"))
            .collect();
        assert_eq!(labels, ["-£5k", "£0", "£5k", "£10k", "£15k"]);
        let d = desc(&svg);
        assert!(d.contains("total £18,500.00; highest Apr £12,500.00; 1 negative, lowest May"));
    }

    fn appt(label: &str, appointments: Option<u64>, base: Option<u64>) -> AppointmentMonth {
        AppointmentMonth {
            label: label.to_string(),
            appointments,
            same_month_2019: base,
        }
    }

    #[test]
    fn month_labels_of_a_long_run_do_not_run_together() {
        // Seven and a half years of months, as England's chart has.
        let months: Vec<AppointmentMonth> = (0..90)
            .map(|i| {
                appt(
                    &format!("{}-{:02}", 2019 + i / 12, i % 12 + 1),
                    Some(1),
                    Some(1),
                )
            })
            .collect();
        let svg = appointments_against_2019("Appointments", &months).into_string();
        let xs = all(&svg, "col-label", "x");
        assert!(xs.len() >= 6, "{xs:?}");
        // "2019-01" at 11 units is about 48 units wide: centres at least that far apart.
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= 48.0), "{xs:?}");
    }

    #[test]
    fn appointments_stand_beside_the_same_month_of_2019() {
        let months = [
            appt("2019-01", Some(1_000_000), Some(1_000_000)),
            appt("2020-01", Some(900_000), Some(1_000_000)),
            appt("2021-01", None, Some(1_000_000)),
            appt("2022-01", Some(1_250_000), Some(1_000_000)),
        ];
        let svg = appointments_against_2019("Appointments, 03R", &months).into_string();
        assert!(well_formed(&svg), "{svg}");
        // Three columns (a month without figures has none), four ticks.
        let (ys, hs) = (all(&svg, "col", "y"), all(&svg, "col", "height"));
        assert_eq!(ys.len(), 3);
        assert!((hs[1] / hs[0] - 0.9).abs() < 0.01 && (hs[2] / hs[0] - 1.25).abs() < 0.01);
        let ticks = all(&svg, "baseline-tick", "y1");
        assert_eq!(ticks.len(), 4);
        assert!(
            ticks.iter().all(|t| (t - ys[0]).abs() < 0.11),
            "ticks at 2019's level"
        );
        let labels: Vec<&str> = svg
            .split("class=\"axis-label\"")
            .skip(1)
            .map(|t| between(t, ">", "<"))
            .collect();
        assert_eq!(labels, ["0", "500k", "1m", "1.5m"]);
        assert_eq!(
            desc(&svg),
            "3 months of appointments, 2019-01 to 2022-01; 2022-01: 1,250,000 against \
             1,000,000 in the same month of 2019 (+250,000); 1 of 3 months compared above \
             the same month of 2019; highest 2022-01 1,250,000"
        );
        let empty =
            appointments_against_2019("Appointments", &[appt("2019-01", None, None)]).into_string();
        assert!(well_formed(&empty) && empty.contains("No data"));
        assert_eq!(desc(&empty), "no appointment figures");
        assert_eq!(count_short(12_500), "12.5k");
        assert_eq!(count_short(750), "750");
        assert_eq!(count_short(2_000_000), "2m");
    }

    #[test]
    fn nice_axis_labels() {
        let cases = [
            (0, "£0"),
            (500_000, "£5k"),
            (1_250_000, "£12.5k"),
            (120_000_000, "£1.2m"),
        ];
        for (pence, label) in cases.into_iter().chain([(75_000, "£750"), (250, "£2.5")]) {
            assert_eq!(money_short(pence, 2), label);
        }
        assert_eq!(money_short(-99_999_999, 1), "-£1m");
        for max in [1, 99, 12_345, 1_000_000, 123_456_789, i128::from(i64::MAX)] {
            let s = YScale::new([0, max].into_iter(), 100.0);
            let steps = (s.hi - s.lo) / s.step;
            assert!((2..=4).contains(&steps) || max < 5, "{max}: {steps}");
            assert!(s.hi >= max && s.lo == 0);
        }
    }

    #[test]
    fn budget_sum_line_matches_the_column_scale() {
        let months = vec![
            month("Apr", 2_000_000, true),
            month("May", 4_500_000, true),
            month("Jun", 7_000_000, false),
        ];
        let sum = 10_000_000;
        let svg = arrs_budget("ARRS", &months, Some(sum)).into_string();
        assert!(well_formed(&svg), "{svg}");
        let (zero, line) = (
            all(&svg, "zero-line", "y1")[0],
            all(&svg, "sum-line", "y1")[0],
        );
        for (y, m) in all(&svg, "col", "y").iter().zip(&months) {
            let ratio = (zero - line) / (zero - y);
            assert!(
                (ratio - sum as f64 / m.cumulative_pence as f64).abs() < 0.02,
                "{ratio}"
            );
        }
        assert!(line >= C_TOP - 0.1, "axis reaches the Sum");
        assert!(svg.contains(&format!("ARRS Sum {}</text>", pounds(sum))));
        assert_eq!(all(&svg, "col-committed", "y").len(), 1);
        assert!(
            svg.contains(r#"class="col col-committed" x="#) && svg.contains("url(#chart-arrs-")
        );
        assert!(
            svg.contains("Committed (future months)") && svg.contains("Claimed (elapsed months)")
        );
        let d = desc(&svg);
        assert!(
            d.contains("claimed to date £45,000.00; committed by Jun £70,000.00"),
            "{d}"
        );
        assert!(
            d.ends_with("; ARRS Sum £100,000.00; headroom £30,000.00"),
            "{d}"
        );
        let over = arrs_budget("ARRS", &months, Some(5_000_000)).into_string();
        assert!(desc(&over).ends_with("over it by £20,000.00"));
        let unknown = arrs_budget("ARRS", &months, None).into_string();
        assert!(all(&unknown, "sum-line", "y1").is_empty() && desc(&unknown).contains("not known"));
    }

    #[test]
    fn map_dots_fit_and_face_the_right_way() {
        let points = vec![
            pt(52.20, 0.12, 0, "Cambridge"),
            pt(52.20, 0.30, 0, "East of it"),
            pt(52.40, 0.12, 1, "North of it"),
            pt(52.10, 0.00, 7, "Stray group"),
        ];
        let groups = ["Alpha PCN".to_string(), "Beta PCN".to_string()];
        let svg = practice_map("Practices", &points, &groups).into_string();
        assert!(well_formed(&svg), "{svg}");
        let (cx, cy) = dots_in_view(&svg);
        assert_eq!(cx.len(), 4);
        assert!(cx[1] > cx[0], "east is right");
        assert!(cy[2] < cy[0], "north is up");
        assert!(svg.contains(&format!("fill=\"{GREY}\"><title>Stray group</title>")));
        assert!(svg.contains(">other (1)</text>") && svg.contains(">Alpha PCN (2)</text>"));
        assert_eq!(desc(&svg), "4 practices in 3 networks");
    }

    #[test]
    fn map_skips_and_counts_bad_coordinates() {
        let points = vec![
            pt(51.5, -0.1, 0, "A"),
            pt(f64::NAN, -0.1, 0, "B"),
            pt(51.6, f64::INFINITY, 0, "C"),
            pt(51.4, -0.2, 0, "D"),
        ];
        let svg = practice_map("Map", &points, &["X".to_string()]).into_string();
        assert!(well_formed(&svg) && !svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(all(&svg, "dot", "cx").len(), 2);
        assert_eq!(
            desc(&svg),
            "2 practices in 1 network; 2 skipped without valid coordinates"
        );
        let none = practice_map("Map", &[pt(f64::NAN, 0.0, 0, "B")], &[]).into_string();
        assert!(none.contains("No data") && desc(&none).contains("1 skipped"));
    }

    #[test]
    fn map_handles_one_town_and_all_england() {
        let same: Vec<MapPoint> = (0..5).map(|i| pt(53.8, -1.55, i, "Leeds")).collect();
        let svg = practice_map("Leeds", &same, &[]).into_string();
        let (w, _) = view_box(&svg);
        assert!(all(&svg, "dot", "cx")
            .iter()
            .all(|x| (x - w / 2.0).abs() < 0.11));
        let wide: Vec<MapPoint> = (0..5).map(|i| pt(52.0, i as f64 - 3.0, 0, "M4")).collect();
        let svg = practice_map("Wide", &wide, &[]).into_string();
        let ((w, _), edge) = (view_box(&svg), M_MARGIN + 5.0);
        let cx = all(&svg, "dot", "cx");
        assert!(
            cx.iter().all(|x| *x >= edge - 0.1 && *x <= w - edge + 0.1),
            "{cx:?}"
        );
        assert!(
            cx[0] < edge + 0.1 && cx[4] > w - edge - 0.1,
            "fills the width: {cx:?}"
        );
        let mut seed: u64 = 42;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let many: Vec<MapPoint> = (0..6000)
            .map(|i| {
                pt(
                    50.0 + 5.7 * next(),
                    -5.7 + 7.5 * next(),
                    i % 42,
                    &format!("GP {i}"),
                )
            })
            .collect();
        let groups: Vec<String> = (0..42).map(|i| format!("PCN {i}")).collect();
        let svg = practice_map("England", &many, &groups).into_string();
        let (cx, _) = dots_in_view(&svg);
        assert_eq!(cx.len(), 6000);
        let (w, h) = view_box(&svg);
        assert!(h > w, "England is taller than wide");
        assert!(svg.len() < 6000 * 100, "compact: {} bytes", svg.len());
        assert!(svg.contains("+ 12 more networks") && well_formed(&svg));
    }

    #[test]
    fn empty_inputs_say_no_data() {
        let charts = [
            list_size_bars("Bars", &[], &[(30_000, "minimum")]).into_string(),
            monthly_columns("Columns", &[]).into_string(),
            arrs_budget("Budget", &[], Some(100)).into_string(),
            practice_map("Map", &[], &[]).into_string(),
            list_size_bars("", &[], &[]).into_string(),
        ];
        for svg in &charts {
            assert!(well_formed(svg) && svg.contains(">No data</text>"), "{svg}");
            assert!(svg.contains(r#"role="img""#) && !svg.contains(" width=\"680\""));
        }
    }

    #[test]
    fn extreme_values_give_valid_svg() {
        let cols = [col("min", i64::MIN), col("max", i64::MAX), col("zero", 0)];
        let bars = [bar("zero", 0, Flag::Ok), bar("max", u64::MAX, Flag::Ok)];
        let months = [month("a", i64::MIN, true), month("b", i64::MAX, false)];
        let poles = [pt(90.0, 180.0, 0, "N"), pt(-90.0, -180.0, 0, "S")];
        let charts = [
            monthly_columns("Extreme", &cols).into_string(),
            monthly_columns("Zeros", &[col("", 0)]).into_string(),
            list_size_bars("Zero", &[bar("z", 0, Flag::Ok)], &[]).into_string(),
            list_size_bars("Max", &bars, &[(u64::MAX, "")]).into_string(),
            arrs_budget("Extreme", &months, Some(i64::MIN)).into_string(),
            practice_map("Poles", &poles, &[]).into_string(),
        ];
        for svg in &charts {
            assert!(
                well_formed(svg) && !svg.contains("NaN") && !svg.contains("inf"),
                "{svg}"
            );
        }
    }

    /// One of each chart, every piece of user text (title, labels, hrefs, group and
    /// reference-line names) set to `nasty`.
    fn every_chart(nasty: &str) -> Vec<String> {
        let mut bars = vec![bar(nasty, 5, Flag::Ok)];
        bars[0].href = Some(nasty.into());
        let mut point = pt(51.0, 0.0, 0, nasty);
        point.href = Some(nasty.into());
        let months = [appt(nasty, Some(5), Some(4))];
        vec![
            list_size_bars(nasty, &bars, &[(3, nasty)]).into_string(),
            monthly_columns(nasty, &[col(nasty, 5)]).into_string(),
            arrs_budget(nasty, &[month(nasty, 5, true)], Some(9)).into_string(),
            practice_map(nasty, &[point], &[nasty.to_string()]).into_string(),
            appointments_against_2019(nasty, &months).into_string(),
        ]
    }

    #[test]
    fn text_is_escaped() {
        let nasty = "<script>\"&'\u{0}\u{1b}\u{FFFE}\u{FFFF}";
        assert_eq!(clean(nasty), "<script>\"&'", "forbidden characters dropped");
        assert_eq!(clean("a\tb\nc\rd"), "a b c d");
        assert!(matches!(clean("plain"), Cow::Borrowed("plain")));
        assert_eq!(short("<b>&amp;", 4), "<b>…", "cut, not escaped");
        for svg in every_chart(nasty) {
            assert!(!svg.contains("<script") && !svg.contains("\"&'"), "{svg}");
            // maud escapes & < > " (an apostrophe is harmless in text and in double quotes).
            assert!(
                svg.contains("&lt;script&gt;&quot;&amp;'") && well_formed(&svg),
                "{svg}"
            );
            let forbidden = |c: char| (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}';
            assert!(!svg.contains(forbidden), "{svg:?}");
        }
    }

    #[test]
    fn hostile_text_cannot_inject_elements_or_attributes() {
        let elements = "svg title desc text rect line circle g a defs pattern";
        let attributes = "xmlns viewBox role aria-labelledby class font-family font-size \
            font-weight fill id x y text-anchor stroke stroke-width paint-order stroke-dasharray \
            x1 y1 x2 y2 width height href cx cy r patternUnits patternTransform";
        let (elements, attributes): (Vec<&str>, Vec<&str>) = (
            elements.split_whitespace().collect(),
            attributes.split_whitespace().collect(),
        );
        for nasty in [
            "\"/><script>alert(1)</script>",
            "\" onmouseover=\"alert(1)",
            "x' onload='alert(1)",
            "</title></svg><img src=x onerror=alert(1)>",
        ] {
            for svg in every_chart(nasty) {
                assert!(well_formed(&svg) && !svg.contains("<script"), "{svg}");
                for tag in svg.split('<').skip(1) {
                    let tag = tag.split_once('>').map_or(tag, |(t, _)| t);
                    let name = tag.split(' ').next().unwrap_or("");
                    let name = name.trim_start_matches('/');
                    assert!(elements.contains(&name), "element {name} in {svg}");
                    // Values are quoted and hold no quote, so every other piece is `name=`.
                    for piece in tag.split('"').step_by(2).skip(1) {
                        let attribute = piece.trim().trim_end_matches('=');
                        assert!(
                            attribute.is_empty() || attributes.contains(&attribute),
                            "attribute {attribute} in {svg}"
                        );
                    }
                    let first = tag.split('"').next().unwrap_or("");
                    let first = first.split_once(' ').map_or("", |(_, a)| a);
                    let first = first.trim_end_matches('=');
                    assert!(first.is_empty() || attributes.contains(&first), "{first}");
                }
            }
        }
    }

    #[test]
    fn pounds_formats_pence() {
        assert_eq!(pounds(0), "£0.00");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(123_456), "£1,234.56");
        assert_eq!(pounds(-98_765), "-£987.65");
        assert_eq!(pounds(i64::MIN), "-£92,233,720,368,547,758.08");
        assert_eq!(pounds(i64::MAX), "£92,233,720,368,547,758.07");
    }

    #[test]
    fn ids_are_unique_and_wired_up() {
        let a = list_size_bars("List sizes", &sample_bars(), &[]).into_string();
        let b = list_size_bars("List sizes (2025)", &sample_bars(), &[]).into_string();
        let c = list_size_bars("List sizes", &sample_bars()[1..], &[]).into_string();
        let id = |svg: &str| between(svg, "<title id=\"", "-title\"").to_string();
        let (ia, ib, ic) = (id(&a), id(&b), id(&c));
        assert!(ia.starts_with("chart-list-sizes-") && ia.len() == "chart-list-sizes-".len() + 8);
        assert!(ia != ib && ia != ic && ib != ic, "{ia} {ib} {ic}");
        assert!(a.contains(&format!(r#"aria-labelledby="{ia}-title {ia}-desc""#)));
        assert!(a.contains(&format!(r#"<desc id="{ia}-desc">"#)));
    }

    #[test]
    fn palette_cycles() {
        let n = PALETTE.len();
        assert_eq!(palette(0), palette(n));
        assert_eq!(palette(3), palette(3 + 5 * n));
        assert_eq!(palette(usize::MAX), PALETTE[usize::MAX % n]);
        for i in 0..n {
            assert!(palette(i).starts_with('#') && palette(i).len() == 7);
            assert!((0..i).all(|j| palette(j) != palette(i)));
        }
    }

    #[test]
    fn output_is_deterministic() {
        let points = [pt(52.0, -1.0, 0, "A"), pt(52.5, -1.5, 1, "B")];
        assert_eq!(
            practice_map("M", &points, &[]).into_string(),
            practice_map("M", &points, &[]).into_string()
        );
        let bars = || list_size_bars("B", &sample_bars(), &[(30_000, "minimum")]).into_string();
        assert_eq!(bars(), bars());
    }
}
