// How figures and instants read on the page: in the organization's time zone.

export function number(value) {
  return value === null || value === undefined ? "—" : new Intl.NumberFormat("en").format(value);
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)} %`;
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

/** A window as "from – to" in the zone (`to` is exclusive: the day before is shown). */
export function windowText(window, zone) {
  const last = new Date(new Date(window.to).getTime() - 1);
  return `${date(window.from, zone)} – ${date(last.toISOString(), zone)} (${zone})`;
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
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
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
