// How figures and instants read on the page: in the organization's time zone.

export function number(value) {
  return value === null || value === undefined ? "—" : new Intl.NumberFormat("en").format(value);
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)} %`;
}

/** "1 handoff", "2 handoffs", "no handoffs": a count with its noun in the right number. */
export function plural(count, one, many = `${one}s`) {
  return `${number(count)} ${count === 1 ? one : many}`;
}

/** A signed change: "+3", "−2", "±0"; rates in percentage points. */
export function delta(value, isRate) {
  if (value === null || value === undefined) return "no comparison";
  const shown = isRate ? `${Math.abs(value * 100).toFixed(1)} pp` : new Intl.NumberFormat("en").format(Math.abs(value));
  if (value > 0) return `+${shown}`;
  if (value < 0) return `−${shown}`;
  return `±${isRate ? "0 pp" : "0"}`;
}

export function instant(text, zone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, dateStyle: "medium", timeStyle: "short",
  }).format(new Date(text));
}

export function date(text, zone) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, dateStyle: "medium" }).format(new Date(text));
}

/** The name of a period of the given granularity starting at `from`. */
export function periodName(from, granularity, zone) {
  const at = new Date(from);
  const part = (options) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options }).format(at);
  switch (granularity) {
    case "WEEK":
      return `Week of ${part({ day: "numeric", month: "short", year: "numeric" })}`;
    case "QUARTER": {
      const month = Number(part({ month: "numeric" }));
      return `Q${Math.floor((month - 1) / 3) + 1} ${part({ year: "numeric" })}`;
    }
    case "YEAR":
      return part({ year: "numeric" });
    case "DAY":
      return part({ dateStyle: "medium" });
    default:
      return part({ month: "long", year: "numeric" });
  }
}

/** A short name for a trend axis: "Jun", "8 Jun", "Q2"; with the year when `withYear`. */
export function axisName(from, granularity, zone, withYear) {
  const at = new Date(from);
  const part = (options) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options }).format(at);
  const year = withYear ? ` ${part({ year: "numeric" })}` : "";
  switch (granularity) {
    case "WEEK":
      return `${part({ day: "numeric", month: "short" })}${year}`;
    case "QUARTER":
      return `Q${Math.floor((Number(part({ month: "numeric" })) - 1) / 3) + 1}${year}`;
    default:
      return `${part({ month: "short" })}${year}`;
  }
}

/** The calendar year of an instant in the zone. */
export function yearOf(from, zone) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric" }).format(new Date(from));
}

/** A window as "from – to" in the zone (`to` is exclusive: the day before is shown). */
export function windowText(window, zone) {
  return `${windowDates(window, zone)} (${zone})`;
}

/** A window's days, "1 Jun 2026 – 30 Jun 2026", without the zone. */
export function windowDates(window, zone) {
  const last = new Date(new Date(window.to).getTime() - 1);
  return `${date(window.from, zone)} – ${date(last.toISOString(), zone)}`;
}

/** A function's name, with a purple "CX" badge for a CX team. */
export function functionName(f) {
  if (!f) return "?";
  return f.isCxTeam ? [f.name, " ", el("span", { class: "cx-badge", title: "CX team" }, "CX")] : f.name;
}

/** Creates an element with attributes and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/**
 * A message of the API as nodes: names it quotes in backticks (`Store visit`) become
 * <code> elements, the rest stays text (never HTML).
 */
export function withCode(text) {
  return String(text ?? "")
    .split(/(`[^`]*`)/)
    .filter((part) => part !== "")
    .map((part) => (part.length > 1 && part.startsWith("`") && part.endsWith("`") ? el("code", {}, part.slice(1, -1)) : part));
}

/** An ISO 8601 duration as the API writes it (P1DT12H30M) as "1 d 12 h 30 min". */
export function duration(text) {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(text ?? "");
  if (!match) return text ?? "—";
  const [, days, hours, minutes, seconds] = match;
  const parts = [
    days && `${days} d`,
    hours && `${hours} h`,
    minutes && `${minutes} min`,
    seconds && `${Math.round(Number(seconds))} s`,
  ].filter(Boolean);
  return parts.length ? parts.join(" ") : "0 s";
}
