/**
 * The cost sweep: runs the attention pipeline over synthetic tables of several lengths and
 * strategies and puts the measured stage metrics beside the cost model's figures. A client of the
 * Spark layer's entry points, like the jobs.
 */
package io.sparkattention.spark.cost;
