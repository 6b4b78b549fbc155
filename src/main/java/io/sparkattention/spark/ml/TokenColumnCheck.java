package io.sparkattention.spark.ml;

import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Checks that a transformer's input has the token columns its params name, of usable types, and not
 * yet its output column; errors name the transformer, the param, the column and its type.
 */
final class TokenColumnCheck {
  private TokenColumnCheck() {}

  /**
   * @throws IllegalArgumentException naming the param, the column and its type when they do not fit
   */
  static void check(
      String uid,
      StructType schema,
      String seqIdCol,
      String posCol,
      String inputCol,
      String outputCol) {
    DataType seq = column(uid, schema, seqIdCol, "seqIdCol");
    if (!(seq == DataTypes.StringType || integer(seq))) {
      throw new IllegalArgumentException(
          uid
              + ": seqIdCol '"
              + seqIdCol
              + "' has type "
              + seq.simpleString()
              + "; expected string or integer");
    }
    DataType pos = column(uid, schema, posCol, "posCol");
    if (!integer(pos)) {
      throw new IllegalArgumentException(
          uid
              + ": posCol '"
              + posCol
              + "' has type "
              + pos.simpleString()
              + "; expected an integer type");
    }
    DataType in = column(uid, schema, inputCol, "inputCol");
    if (!(in.equals(SQLDataTypes.VectorType())
        || (in instanceof ArrayType && ((ArrayType) in).elementType() instanceof NumericType))) {
      throw new IllegalArgumentException(
          uid
              + ": inputCol '"
              + inputCol
              + "' has type "
              + in.simpleString()
              + "; expected a vector or an array of numbers");
    }
    if (Arrays.asList(schema.fieldNames()).contains(outputCol)) {
      throw new IllegalArgumentException(
          uid + ": outputCol '" + outputCol + "' already exists in the input");
    }
  }

  /**
   * Checks that column {@code name} of param {@code param} exists, when set (not null).
   *
   * @throws IllegalArgumentException naming the param, the column and the input's columns
   */
  static void present(String uid, StructType schema, String name, String param) {
    if (name != null) {
      column(uid, schema, name, param);
    }
  }

  private static DataType column(String uid, StructType schema, String name, String param) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f.dataType();
      }
    }
    throw new IllegalArgumentException(
        uid
            + ": "
            + param
            + " '"
            + name
            + "' is not a column of the input (columns: "
            + String.join(", ", schema.fieldNames())
            + ")");
  }

  private static boolean integer(DataType t) {
    return t == DataTypes.IntegerType || t == DataTypes.LongType || t == DataTypes.ShortType;
  }
}
