package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * How a result's vector column is written: as Spark ML's vector ({@code VectorUDT}, a struct of
 * type, size, indices and values that only Spark knows how to read as a vector) or as a plain
 * {@code array<double>}, which pandas, pyarrow, DuckDB and Polars read as a list of floats. The
 * numbers are the same either way.
 */
public enum VectorType {
  /** Spark ML's dense vector: what Spark ML stages take (the default for Parquet). */
  VECTOR,
  /** A plain {@code array<double>} (always so in JSON, which has no vector type). */
  ARRAY;

  /**
   * Parses "vector" or "array" (case-insensitive).
   *
   * @throws InputException for another name
   */
  public static VectorType parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "vector":
        return VECTOR;
      case "array":
        return ARRAY;
      default:
        throw InputException.forParameter(
            "vectorType", "must be vector or array, not '" + name + "'");
    }
  }

  /** The default for {@code format}: a vector in Parquet, an array in JSON. */
  public static VectorType defaultFor(TableFormat format) {
    return format == TableFormat.PARQUET ? VECTOR : ARRAY;
  }

  /**
   * {@code requested}, or the default for {@code format} if null.
   *
   * @throws InputException for a vector in JSON (which stores arrays only)
   */
  public static VectorType resolve(VectorType requested, TableFormat format) {
    if (requested == null) {
      return defaultFor(format);
    }
    if (requested == VECTOR && format == TableFormat.JSON) {
      throw InputException.forParameter(
          "vectorType", "vector needs Parquet output (JSON writes arrays of numbers)");
    }
    return requested;
  }

  /** The column type: Spark ML's vector type, or {@code array<double>} without nulls. */
  public DataType dataType() {
    return this == VECTOR
        ? SQLDataTypes.VectorType()
        : DataTypes.createArrayType(DataTypes.DoubleType, false);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
