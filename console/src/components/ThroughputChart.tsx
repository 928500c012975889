import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Throughput {
  minutes: string[];
  started: number[];
  completed: number[];
  failed: number[];
}

const SERIES = [
  { label: 'started', stroke: '#1f6feb', fill: 'rgba(31,111,235,0.08)' },
  { label: 'completed', stroke: '#1a7f37', fill: 'rgba(26,127,55,0.08)' },
  { label: 'failed', stroke: '#cf222e', fill: 'rgba(207,34,46,0.08)' },
] as const;

function columns(t: Throughput): uPlot.AlignedData {
  return [t.minutes.map((m) => Date.parse(m) / 1000), t.started, t.completed, t.failed];
}

/** Workflows started, completed and failed per minute over the last hour; the chart is created once and fed new data. */
export function ThroughputChart({ data }: { data: Throughput }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const chart = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
        axes: [{}, { label: 'per minute', size: 50 }],
        series: [{}, ...SERIES.map((s) => ({ ...s, width: 2, points: { show: false } }))],
        legend: { live: false },
      },
      columns(data),
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(320, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Created once; the effect below feeds it.
  }, []);

  useEffect(() => {
    plot.current?.setData(columns(data));
  }, [data]);

  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return (
    <figure className="chart">
      <div ref={box} className="chart-box" role="img" aria-label={`Throughput over the last hour: ${total(data.started)} started, ${total(data.completed)} completed, ${total(data.failed)} failed`} />
    </figure>
  );
}
