package io.bitnet4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Renders the kernel study's JMH JSON into a markdown table (µs per op, GB/s of weights, GOPS) and a chart of
 * GOPS against batch size per kernel. Usage: KernelStudyReport RESULT.json OUT.md OUT.png "machine line".
 */
public final class KernelStudyReport {

    record Cell(String kernel, String shape, int tokens, double us, double error) {
        double gops() {
            String[] mk = shape.split("x");
            return 2.0 * Long.parseLong(mk[0]) * Long.parseLong(mk[1]) * tokens / (us * 1e-6) / 1e9;
        }

        double weightGBs() {
            String[] mk = shape.split("x");
            return Long.parseLong(mk[0]) * Long.parseLong(mk[1]) / 4.0 / (us * 1e-6) / 1e9;
        }
    }

    public static void main(String[] args) throws Exception {
        List<Cell> cells = read(Path.of(args[0]));
        Files.writeString(Path.of(args[1]), markdown(cells, args.length > 3 ? args[3] : ""));
        chart(cells, Path.of(args[2]));
    }

    static List<Cell> read(Path json) throws java.io.IOException {
        List<Cell> out = new ArrayList<>();
        for (Object o : new ObjectMapper().readValue(json.toFile(), List.class)) {
            Map<?, ?> r = (Map<?, ?>) o, p = (Map<?, ?>) r.get("params"), m = (Map<?, ?>) r.get("primaryMetric");
            double us = ((Number) m.get("score")).doubleValue();
            double err = m.get("scoreError") instanceof Number n && !Double.isNaN(n.doubleValue()) ? n.doubleValue() : 0;
            out.add(new Cell((String) p.get("kernel"), (String) p.get("shape"), Integer.parseInt((String) p.get("tokens")), us, err));
        }
        return out;
    }

    static String markdown(List<Cell> cells, String machine) {
        StringBuilder b = new StringBuilder();
        b.append("| kernel | shape (MxK) | tokens | µs/op | ± | weights GB/s | GOPS |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (Cell c : cells)
            b.append(String.format("| %s | %s | %d | %.1f | %.1f | %.2f | %.1f |%n", c.kernel(), c.shape(), c.tokens(), c.us(),
                    c.error(), c.weightGBs(), c.gops()));
        return b.toString();
    }

    /** GOPS against tokens, one line per kernel, on the largest shape measured. */
    static void chart(List<Cell> cells, Path png) throws Exception {
        String shape = cells.stream().map(Cell::shape).max((a, c) -> Long.compare(size(a), size(c))).orElseThrow();
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title("Ternary GEMM throughput, " + shape + ", one thread").xAxisTitle("tokens per call (batch)")
                .yAxisTitle("GOPS (2 x M x K x tokens / time)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.OutsideE)
                .setMarkerSize(8);
        Map<String, TreeMap<Integer, Double>> series = new LinkedHashMap<>();
        for (Cell c : cells)
            if (c.shape().equals(shape)) series.computeIfAbsent(c.kernel(), k -> new TreeMap<>()).put(c.tokens(), c.gops());
        series.forEach((kernel, points) -> chart.addSeries(kernel,
                points.keySet().stream().mapToDouble(Integer::doubleValue).toArray(),
                points.values().stream().mapToDouble(Double::doubleValue).toArray()));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static long size(String shape) {
        String[] mk = shape.split("x");
        return Long.parseLong(mk[0]) * Long.parseLong(mk[1]);
    }
}
