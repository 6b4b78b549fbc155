package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where {@code seq_id}, {@code pos} and the vector column sit in a token table's rows, and how to
 * read them. Built once on the driver from the schema (which it checks), used on executors.
 */
public final class TokenColumns implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String SEQ_ID = "seq_id";
  public static final String POS = "pos";

  private final int seqIdIndex;
  private final int posIndex;
  private final int vectorIndex;
  private final String vectorName;
  private final String idName;
  private final boolean vectorIsUdt;
  private final DataType seqIdType;
  private final DataType posType;

  private TokenColumns(StructType schema, String idName, String vectorName, String what) {
    this.vectorName = vectorName;
    this.idName = idName;
    String expected = idName + ", " + POS + ", " + vectorName;
    this.seqIdIndex = indexOf(schema, idName, what, expected);
    this.posIndex = indexOf(schema, POS, what, expected);
    this.vectorIndex = indexOf(schema, vectorName, what, expected);
    this.seqIdType = schema.fields()[seqIdIndex].dataType();
    this.posType = schema.fields()[posIndex].dataType();
    DataType vt = schema.fields()[vectorIndex].dataType();
    if (!(seqIdType == DataTypes.StringType
        || seqIdType == DataTypes.IntegerType
        || seqIdType == DataTypes.LongType
        || seqIdType == DataTypes.ShortType)) {
      throw new InputException(
          what
              + " column "
              + idName
              + " has type "
              + seqIdType.simpleString()
              + "; expected string or integer");
    }
    if (!(posType == DataTypes.IntegerType
        || posType == DataTypes.LongType
        || posType == DataTypes.ShortType)) {
      throw new InputException(
          what + " column pos has type " + posType.simpleString() + "; expected an integer type");
    }
    if (vt.equals(SQLDataTypes.VectorType())) {
      vectorIsUdt = true;
    } else if (vt instanceof ArrayType && ((ArrayType) vt).elementType() instanceof NumericType) {
      vectorIsUdt = false;
    } else {
      throw new InputException(
          what
              + " column "
              + vectorName
              + " has type "
              + vt.simpleString()
              + "; expected a vector or an array of numbers"
              + (vt instanceof ArrayType ? " (strings where numbers belong?)" : ""));
    }
  }

  private TokenColumns(TokenColumns all, int seqIdIndex, int posIndex) {
    this.seqIdIndex = seqIdIndex;
    this.posIndex = posIndex;
    this.vectorIndex = -1;
    this.vectorName = all.vectorName;
    this.idName = all.idName;
    this.vectorIsUdt = all.vectorIsUdt;
    this.seqIdType = all.seqIdType;
    this.posType = all.posType;
  }

  /**
   * The id and position columns alone, as {@link #positionsOf} selects them: reading a table's
   * positions without decoding its vectors. {@link #vector} and {@link #vectorIsNull} are then not
   * to be called.
   */
  public TokenColumns positionsOnly() {
    return new TokenColumns(this, 0, 1);
  }

  /** The id and position columns of {@code table} (whose columns these are), in that order. */
  public Dataset<Row> positionsOf(Dataset<Row> table) {
    return TokenTables.keep(table, idName, POS);
  }

  /**
   * Checks {@code schema} and locates the columns.
   *
   * @throws InputException naming a missing column or one of the wrong type
   */
  public static TokenColumns of(StructType schema, String vectorName) {
    return of(schema, vectorName, "input");
  }

  /**
   * As {@link #of(StructType, String)}, naming the table in messages.
   *
   * @param what "input" or "context"
   */
  public static TokenColumns of(StructType schema, String vectorName, String what) {
    return new TokenColumns(schema, SEQ_ID, vectorName, what);
  }

  /**
   * As {@link #of(StructType, String)} for an input whose sequences are named by the column {@code
   * idName} instead of {@code seq_id} (e.g. {@code doc_id}); {@link #seqId} then reads that column.
   */
  public static TokenColumns withId(StructType schema, String idName, String vectorName) {
    return new TokenColumns(schema, idName, vectorName, "input");
  }

  /**
   * Throws unless the input has column {@code name}.
   *
   * @param expected what the column is for, for the message
   * @throws InputException naming the column and the table's columns
   */
  public static void requireColumn(StructType schema, String name, String expected) {
    indexOf(schema, name, "input", expected);
  }

  /**
   * The index of column {@code name}.
   *
   * @param what "input" or "context", for the message
   * @param expected the columns the table should have, for the message
   * @throws InputException naming the column, the table's columns and the expected ones
   */
  static int indexOf(StructType schema, String name, String what, String expected) {
    for (int i = 0; i < schema.fields().length; i++) {
      if (schema.fields()[i].name().equals(name)) {
        return i;
      }
    }
    StringBuilder have = new StringBuilder();
    for (StructField f : schema.fields()) {
      if (!f.name().equals("_corrupt_record")) {
        have.append(have.length() == 0 ? "" : ", ").append(f.name());
      }
    }
    throw new InputException(
        what
            + " has no column '"
            + name
            + "' (columns: "
            + (have.length() == 0 ? "none" : have)
            + "); expected "
            + expected);
  }

  /** The sequence id column's name ({@code seq_id} unless given). */
  public String idName() {
    return idName;
  }

  public String vectorName() {
    return vectorName;
  }

  public DataType seqIdType() {
    return seqIdType;
  }

  public DataType posType() {
    return posType;
  }

  /** The row's sequence id (String or Long; the {@link #idName} column), or null. */
  public Object seqId(Row row) {
    if (row.isNullAt(seqIdIndex)) {
      return null;
    }
    Object v = row.get(seqIdIndex);
    return v instanceof Number ? (Object) ((Number) v).longValue() : v;
  }

  public boolean posIsNull(Row row) {
    return row.isNullAt(posIndex);
  }

  public long pos(Row row) {
    return ((Number) row.get(posIndex)).longValue();
  }

  /** Whether the rows hold the vector column (not so for {@link #positionsOnly}). */
  public boolean hasVector() {
    return vectorIndex >= 0;
  }

  public boolean vectorIsNull(Row row) {
    return row.isNullAt(vectorIndex);
  }

  /** The row's vector as doubles (a fresh array); null entries become NaN. */
  public double[] vector(Row row) {
    if (vectorIsUdt) {
      return ((Vector) row.get(vectorIndex)).toArray();
    }
    List<Object> list = row.getList(vectorIndex);
    double[] x = new double[list.size()];
    for (int i = 0; i < x.length; i++) {
      Object o = list.get(i);
      x[i] = o == null ? Double.NaN : ((Number) o).doubleValue();
    }
    return x;
  }

  /**
   * A sequence id for messages: a long one (ids are the user's, and may be documents' texts) is cut
   * to its first 40 characters and its length, so that one line of error stays one line.
   */
  public static String shown(Object id) {
    String s = String.valueOf(id);
    return s.length() <= 64 ? s : s.substring(0, 40) + "… (" + s.length() + " characters)";
  }

  /** Describes a row for messages: {@code seq_id=…, pos=…}. */
  public String describe(Row row) {
    return idName
        + "="
        + shown(seqId(row))
        + ", pos="
        + (posIsNull(row) ? "null" : String.valueOf(pos(row)));
  }
}
