package io.sparkattention.spark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.sparkattention.fixtures.SparkTestSession;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link TokenTables#keep}: the columns a job reads, and only those. */
class TokenTablesSparkTest {
  static SparkSession spark;
  static Dataset<Row> table;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    StructType schema =
        new StructType()
            .add("note", "string")
            .add("seq_id", "string")
            .add("pos", "int")
            .add("x", "array<double>")
            .add("doc.id", "int")
            .add("meta", "struct<id:int>");
    table =
        spark.createDataFrame(
            List.of(
                RowFactory.create("a", "s", 0, new double[] {1}, 7, RowFactory.create(9)),
                RowFactory.create("b", "s", 1, new double[] {2}, 8, RowFactory.create(9))),
            schema);
  }

  @Test
  void keepsTheNamedColumnsInTheirOrderADottedNameBeingAColumn() {
    Dataset<Row> kept = TokenTables.keep(table, "seq_id", "pos", "x", "doc.id", null, "pos");
    assertArrayEquals(new String[] {"seq_id", "pos", "x", "doc.id"}, kept.columns());
    List<Row> rows = kept.orderBy("pos").collectAsList();
    assertEquals(7, rows.get(0).getInt(3));
    assertEquals(8, rows.get(1).getInt(3));
  }

  @Test
  void aMissingColumnLeavesTheTableAsItIs() {
    // the column checks then name the missing column beside all the table's columns
    assertSame(table, TokenTables.keep(table, "seq_id", "pos", "x", "segment"));
  }

  @Test
  void allColumnsNamedLeavesTheTableAsItIs() {
    assertSame(table, TokenTables.keep(table, "note", "seq_id", "pos", "x", "doc.id", "meta"));
  }
}
