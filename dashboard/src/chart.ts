// The stacked daily chart: Chart.js, tree-shaken to bars on a category and a linear axis.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#3d4451';

/** Okabe-Ito-like palette: distinguishable for most colour vision; grey last, for "other". */
export const PALETTE = ['#0b6bcb', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7b61ff', '#b8a200', '#8a8f98'];

export interface StackedSeries {
  label: string;
  values: number[];
}

export class StackedBars {
  private chart: Chart<'bar', number[], string> | undefined;
  /** Increases on every redraw (tests and people can tell a redraw happened). */
  version = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }

  draw(days: string[], series: StackedSeries[], valueLabel: (n: number) => string): void {
    const datasets = series.map((s, i) => ({
      label: s.label,
      data: s.values,
      backgroundColor: PALETTE[Math.min(i, PALETTE.length - 1)]!,
      borderWidth: 0,
      maxBarThickness: 48,
    }));
    const labels = days.map((d) => d.slice(5));
    if (this.chart) {
      this.chart.data.labels = labels;
      this.chart.data.datasets = datasets;
      this.chart.update();
    } else {
      this.chart = new Chart(this.canvas, {
        type: 'bar',
        data: { labels, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          scales: {
            x: { stacked: true, grid: { display: false } },
            y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => valueLabel(Number(v)) } },
          },
          plugins: {
            legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
            tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${valueLabel(Number(ctx.raw))}` } },
          },
        },
      });
    }
    this.version++;
    this.canvas.dataset.version = String(this.version);
    // The legend is drawn in the canvas: its labels are kept here too (for tests and tools).
    this.canvas.dataset.series = series.map((s) => s.label).join('|');
  }
}
