/**
 * Tables in and out: the token and hierarchy column layouts ({@link
 * io.sparkattention.spark.io.TokenColumns}, {@link io.sparkattention.spark.io.HierarchyColumns}),
 * table formats and readers, the atomic {@link io.sparkattention.spark.io.ResultWriter}, weights
 * files, and synthetic token tables. Depends on no other sub-package of the Spark layer.
 */
package io.sparkattention.spark.io;
