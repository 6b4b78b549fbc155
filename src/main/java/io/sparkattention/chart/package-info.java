/**
 * Charts of attention results, drawn with XChart (pure Java, no Spark): {@link
 * io.sparkattention.chart.AttentionMapChart} turns a matrix of attention weights into a PNG heat
 * map. The jobs read the data and call these classes.
 */
package io.sparkattention.chart;
