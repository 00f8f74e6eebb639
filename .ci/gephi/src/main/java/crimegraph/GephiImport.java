package crimegraph;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gephi.graph.api.Column;
import org.gephi.graph.api.Edge;
import org.gephi.graph.api.Graph;
import org.gephi.graph.api.GraphController;
import org.gephi.graph.api.GraphModel;
import org.gephi.graph.api.Interval;
import org.gephi.graph.api.Node;
import org.gephi.io.importer.api.Container;
import org.gephi.io.importer.api.EdgeMergeStrategy;
import org.gephi.io.importer.api.ImportController;
import org.gephi.io.importer.api.Issue;
import org.gephi.io.processor.plugin.DefaultProcessor;
import org.gephi.project.api.ProjectController;
import org.gephi.project.api.Workspace;
import org.openide.util.Lookup;

/**
 * Imports a graph file the way Gephi does (the same importer and processor) and prints what Gephi then
 * holds, as one JSON object: node and edge counts, edges per edge kind, which elements have a time
 * interval, the attribute columns with their Java types, every edge id, the importer's warnings, and the
 * attributes of the nodes named after the file.
 *
 * <p>Usage: {@code GephiImport FILE NO_MERGE|SUM|... [NODE_ID ...]} (the edge merge strategy of Gephi's
 * import dialog: "Don't merge" is NO_MERGE, the default "Sum" is SUM).
 */
public final class GephiImport {

    private GephiImport() {
    }

    public static void main(String[] args) throws Exception {
        File file = new File(args[0]);
        EdgeMergeStrategy strategy = EdgeMergeStrategy.valueOf(args[1]);

        ProjectController projects = Lookup.getDefault().lookup(ProjectController.class);
        projects.newProject();
        Workspace workspace = projects.getCurrentWorkspace();
        ImportController importer = Lookup.getDefault().lookup(ImportController.class);
        Container container = importer.importFile(file);
        if (container == null) {
            System.err.println("gephi could not import " + file);
            System.exit(2);
        }
        container.getLoader().setEdgesMergeStrategy(strategy);
        importer.process(container, new DefaultProcessor(), workspace);
        GraphModel model = Lookup.getDefault().lookup(GraphController.class).getGraphModel(workspace);
        Graph graph = model.getDirectedGraph();

        Map<String, Integer> kinds = new TreeMap<>();
        List<String> edgeIds = new ArrayList<>();
        int edgesWithTime = 0;
        for (Edge edge : graph.getEdges()) {
            kinds.merge(String.valueOf(edge.getTypeLabel()), 1, Integer::sum);
            edgeIds.add(String.valueOf(edge.getId()));
            if (edge.getIntervals().length > 0) {
                edgesWithTime++;
            }
        }
        int nodesWithTime = 0;
        for (Node node : graph.getNodes()) {
            if (node.getIntervals().length > 0) {
                nodesWithTime++;
            }
        }

        StringBuilder out = new StringBuilder("{");
        out.append("\"nodes\":").append(graph.getNodeCount());
        out.append(",\"edges\":").append(graph.getEdgeCount());
        out.append(",\"edge_kinds\":").append(counts(kinds));
        out.append(",\"dynamic\":").append(model.isDynamic());
        out.append(",\"time_format\":").append(quote(String.valueOf(model.getTimeFormat())));
        Interval bounds = model.getTimeBounds();
        out.append(",\"time_bounds\":[").append(number(bounds.getLow())).append(',')
            .append(number(bounds.getHigh())).append(']');
        out.append(",\"nodes_with_time\":").append(nodesWithTime);
        out.append(",\"edges_with_time\":").append(edgesWithTime);
        out.append(",\"node_columns\":").append(columns(model.getNodeTable()));
        out.append(",\"edge_columns\":").append(columns(model.getEdgeTable()));
        out.append(",\"edge_ids\":[");
        for (int i = 0; i < edgeIds.size(); i++) {
            out.append(i > 0 ? "," : "").append(quote(edgeIds.get(i)));
        }
        out.append("],\"issues\":[");
        boolean first = true;
        for (Issue issue : container.getReport().getIssuesList(10_000)) {
            if (issue.getLevel() != Issue.Level.INFO) {
                out.append(first ? "" : ",").append("{\"level\":").append(quote(issue.getLevel().toString()))
                    .append(",\"message\":").append(quote(issue.getMessage())).append('}');
                first = false;
            }
        }
        out.append("],\"samples\":{");
        for (int i = 2; i < args.length; i++) {
            Node node = graph.getNode(args[i]);
            out.append(i > 2 ? "," : "").append(quote(args[i])).append(':');
            if (node == null) {
                out.append("null");
                continue;
            }
            out.append("{\"label\":").append(quote(node.getLabel()));
            for (Column column : model.getNodeTable()) {
                if (!column.isProperty()) {
                    Object value = node.getAttribute(column);
                    if (value != null) {
                        out.append(',').append(quote(column.getId())).append(':').append(value(value));
                    }
                }
            }
            out.append('}');
        }
        out.append("}}");
        System.out.println(out);
    }

    private static String columns(Iterable<Column> table) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Column column : table) {
            out.append(first ? "" : ",").append(quote(column.getId())).append(':')
                .append(quote(column.getTypeClass().getSimpleName()));
            first = false;
        }
        return out.append('}').toString();
    }

    private static String counts(Map<String, Integer> counts) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Integer> entry : counts.entrySet()) {
            out.append(first ? "" : ",").append(quote(entry.getKey())).append(':').append(entry.getValue());
            first = false;
        }
        return out.append('}').toString();
    }

    private static String value(Object value) {
        if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            return value.toString();
        }
        if (value instanceof Double || value instanceof Float) {
            return number(((Number) value).doubleValue());
        }
        return quote(value.toString());
    }

    private static String number(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
