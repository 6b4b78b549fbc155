package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Where {@code doc_id}, {@code sent_id}, {@code pos} and the vector column sit in a hierarchical
 * token table's rows (one row per word: document, sentence within it, position within the
 * sentence), and how to read them. {@code doc_id}, {@code pos} and the vector are read as a token
 * table's ({@link TokenColumns} with {@code doc_id} as the sequence id). Built once on the driver
 * from the schema (which it checks), used on executors.
 */
public final class HierarchyColumns implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String DOC_ID = "doc_id";
  public static final String SENT_ID = "sent_id";

  private final TokenColumns tokens;
  private final int sentIdIndex;
  private final DataType sentIdType;

  private HierarchyColumns(StructType schema, String vectorName) {
    String expected = DOC_ID + ", " + SENT_ID + ", " + TokenColumns.POS + ", " + vectorName;
    for (String name : new String[] {DOC_ID, TokenColumns.POS, vectorName}) {
      TokenColumns.indexOf(schema, name, "input", expected);
    }
    this.sentIdIndex = TokenColumns.indexOf(schema, SENT_ID, "input", expected);
    this.sentIdType = schema.fields()[sentIdIndex].dataType();
    if (!(sentIdType == DataTypes.IntegerType
        || sentIdType == DataTypes.LongType
        || sentIdType == DataTypes.ShortType)) {
      throw new InputException(
          "input column sent_id has type "
              + sentIdType.simpleString()
              + "; expected an integer type");
    }
    this.tokens = TokenColumns.withId(schema, DOC_ID, vectorName);
  }

  /**
   * Checks {@code schema} and locates the columns.
   *
   * @throws InputException naming a missing column or one of the wrong type
   */
  public static HierarchyColumns of(StructType schema, String vectorName) {
    return new HierarchyColumns(schema, vectorName);
  }

  /** {@code doc_id} (as the sequence id), {@code pos} and the vector. */
  public TokenColumns tokens() {
    return tokens;
  }

  public DataType docIdType() {
    return tokens.seqIdType();
  }

  public DataType sentIdType() {
    return sentIdType;
  }

  /** The row's doc_id (String or Long), or null. */
  public Object docId(Row row) {
    return tokens.seqId(row);
  }

  public boolean sentIdIsNull(Row row) {
    return row.isNullAt(sentIdIndex);
  }

  public long sentId(Row row) {
    return ((Number) row.get(sentIdIndex)).longValue();
  }
}
