package io.bitnet4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The chart of docs/performance.md: tokens/s per test (grouped bars), one series per engine/configuration,
 * from a CSV of {@code test,series,tokens_per_second} rows (the figures of the document's tables); a test a
 * series has no row for gets no bar.
 * Usage: PerformanceChart DATA.csv OUT.png TITLE
 */
public final class PerformanceChart {
    public static void main(String[] args) throws Exception {
        Map<String, Map<String, Double>> bySeries = new LinkedHashMap<>();
        Set<String> tests = new LinkedHashSet<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("test,")) continue;
            String[] f = line.split(",");
            if (f.length != 3) throw new IllegalArgumentException("expected test,series,tokens_per_second: " + line);
            tests.add(f[0]);
            bySeries.computeIfAbsent(f[1], s -> new LinkedHashMap<>()).put(f[0], Double.parseDouble(f[2]));
        }
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(620).title(args[2])
                .xAxisTitle("test (2B4T shape, 2 threads)").yAxisTitle("tokens/s").build();
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setAvailableSpaceFill(0.85);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        List<String> x = new ArrayList<>(tests);
        bySeries.forEach((series, values) -> {
            List<Double> y = new ArrayList<>();
            for (String t : x) y.add(values.get(t)); // null: not measured, no bar
            chart.addSeries(series, x, y);
        });
        BitmapEncoder.saveBitmap(chart, args[1], BitmapEncoder.BitmapFormat.PNG);
    }
}
