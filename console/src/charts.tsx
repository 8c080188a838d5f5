/** Horizontal bars in plain SVG: enough for a handful of KPI series, labelled for screen readers. */
export function BarChart({ title, data, unit = '' }: { title: string; data: [string, number | null][]; unit?: string }) {
  const max = Math.max(1, ...data.map(([, v]) => v ?? 0));
  const row = 28;
  const labelWidth = 180;
  const width = 560;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={`${title}: ${data.map(([k, v]) => `${k} ${v ?? 'none'}${unit}`).join(', ')}`} viewBox={`0 0 ${width} ${Math.max(row, data.length * row)}`} width={width} height={Math.max(row, data.length * row)}>
        {data.map(([label, value], i) => {
          const barWidth = ((value ?? 0) / max) * (width - labelWidth - 90);
          return (
            <g key={label} transform={`translate(0 ${i * row})`}>
              <text x={labelWidth - 8} y={row / 2 + 5} text-anchor="end" class="label">{label}</text>
              <rect x={labelWidth} y={4} width={Math.max(barWidth, 1)} height={row - 8} class="bar" />
              <text x={labelWidth + barWidth + 6} y={row / 2 + 5} class="value">{value === null ? '—' : `${Math.round(value * 10) / 10}${unit}`}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
