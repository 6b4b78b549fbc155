package io.sparkattention.spark.validate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.plan.SortedIds;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.TokenColumns;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Validation's per-sequence check on the executors ({@link PositionCheck}) against a plain
 * reference that groups the rows in the test: the sequences and lengths of a valid table, the count
 * and first bad sequences of an invalid one, whatever the partitioning; and what the driver
 * receives is a few bytes a sequence.
 */
class PositionCheckSparkTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.spark();
  }

  private static StructType schema(boolean longIds) {
    return new StructType()
        .add("seq_id", longIds ? DataTypes.LongType : DataTypes.StringType, false)
        .add("pos", DataTypes.IntegerType, false)
        .add("x", DataTypes.createArrayType(DataTypes.DoubleType), false);
  }

  private static Object id(int s, boolean longIds) {
    return longIds ? (Object) (1_000L - 37L * s) : "doc-" + s;
  }

  /** Rows of {@code positions} (id → its rows' positions), shuffled. */
  private static Dataset<Row> table(
      Map<Object, List<Integer>> positions, boolean longIds, int partitions, Random rnd) {
    List<Row> rows = new ArrayList<>();
    positions.forEach(
        (id, ps) -> ps.forEach(p -> rows.add(RowFactory.create(id, p, List.of(0.5, -1.0 * p)))));
    Collections.shuffle(rows, rnd);
    return spark.createDataFrame(rows, schema(longIds)).repartition(partitions);
  }

  private static InputValidator.ValidTable validate(Dataset<Row> t) {
    return InputValidator.validate(t, TokenColumns.of(t.schema(), "x"), "input");
  }

  @Test
  void aValidTableGivesEverySequenceAndItsLengthInIdOrder() {
    Random rnd = new Random(5);
    for (boolean longIds : new boolean[] {false, true}) {
      for (int partitions : new int[] {1, 3, 7}) {
        TreeMap<Object, List<Integer>> positions = new TreeMap<>();
        for (int s = 0; s < 60; s++) {
          List<Integer> ps = new ArrayList<>();
          for (int p = 0; p < 1 + rnd.nextInt(s % 5 == 0 ? 90 : 9); p++) {
            ps.add(p);
          }
          positions.put(id(s, longIds), ps);
        }
        InputValidator.ValidTable valid = validate(table(positions, longIds, partitions, rnd));
        assertTrue(valid.seqIds() instanceof SortedIds, "compact ids on the driver");
        assertEquals(new ArrayList<>(positions.keySet()), new ArrayList<>(valid.seqIds()));
        long[] lengths = positions.values().stream().mapToLong(List::size).toArray();
        assertArrayEquals(lengths, valid.lengths());
        assertEquals(rowsOf(positions), valid.tokens());
        assertEquals(2, valid.width());
      }
    }
  }

  private static long rowsOf(Map<Object, List<Integer>> positions) {
    return positions.values().stream().mapToLong(List::size).sum();
  }

  @Test
  void badPositionsAreCountedAndTheFirstFewNamedInIdOrder() {
    Random rnd = new Random(11);
    for (boolean longIds : new boolean[] {false, true}) {
      for (int partitions : new int[] {1, 4}) {
        TreeMap<Object, List<Integer>> positions = new TreeMap<>();
        TreeMap<Object, String> expected = new TreeMap<>(); // the reference's verdicts
        for (int s = 0; s < 40; s++) {
          int n = 2 + rnd.nextInt(12);
          List<Integer> ps = new ArrayList<>();
          for (int p = 0; p < n; p++) {
            ps.add(p);
          }
          Object id = id(s, longIds);
          int kind = rnd.nextInt(4);
          if (kind == 0) { // one position twice
            int p = rnd.nextInt(n);
            ps.add(p);
            expected.put(id, "duplicate pos " + p);
          } else if (kind == 1) { // one position missing, not the last
            int p = rnd.nextInt(n - 1);
            ps.remove(Integer.valueOf(p));
            expected.put(
                id, "missing pos " + p + " (" + (n - 1) + " tokens, largest pos " + (n - 1) + ")");
          }
          positions.put(id, ps);
        }
        InputException e =
            assertThrows(
                InputException.class, () -> validate(table(positions, longIds, partitions, rnd)));
        StringBuilder named = new StringBuilder();
        int shown = 0;
        for (Map.Entry<Object, String> v : expected.entrySet()) {
          if (shown++ == 5) {
            named.append("; …");
            break;
          }
          named.append(named.length() == 0 ? "" : "; ");
          named.append("seq_id=").append(v.getKey()).append(": ").append(v.getValue());
        }
        assertEquals(
            "invalid input: column pos must hold 0 … n-1 once each within a sequence; "
                + expected.size()
                + " sequence(s) do not: "
                + named,
            e.getMessage());
      }
    }
  }

  @Test
  void theDriverReceivesAFewBytesPerSequence() {
    int n = 100_000;
    for (boolean longIds : new boolean[] {true, false}) {
      Dataset<Row> t =
          spark
              .range(n)
              .selectExpr(
                  longIds ? "id * 3 AS seq_id" : "concat('s', id) AS seq_id",
                  "0 AS pos",
                  "array(cast(id AS double)) AS x")
              .repartition(4);
      List<PositionCheck.Found> results =
          PositionCheck.taskResults(t.javaRDD(), TokenColumns.of(t.schema(), "x"), 4);
      long bytes = 0;
      long sequences = 0;
      for (PositionCheck.Found f : results) {
        bytes += SparkEnv.get().serializer().newInstance().serialize(f, tag()).limit();
        sequences += f.good.ids().size();
      }
      assertEquals(n, sequences);
      // Ids and lengths (8 bytes an integer id, 2 a character of a string id and 4 for its end),
      // and a constant per task: no map entry, bit set or id object per sequence (those took about
      // 750 bytes a sequence on the driver).
      long idBytes = longIds ? 8 : 2 * 6 + 4; // "s0" … "s99999": at most 6 characters
      assertTrue(
          bytes <= (idBytes + 8) * n + 4096, bytes + " bytes for " + n + " sequences, " + longIds);
    }
  }

  private static scala.reflect.ClassTag<PositionCheck.Found> tag() {
    return scala.reflect.ClassTag$.MODULE$.apply(PositionCheck.Found.class);
  }
}
