package imagerec.cli;

import picocli.CommandLine.Option;

/**
 * What the commands that send images ({@code recognize}, {@code eval}, {@code bench}) say about each
 * request: the model, and whether the balancer's response cache may answer it.
 */
final class RequestOptions {
  @Option(names = {"-m", "--model"}, defaultValue = "", description = "model name (default: the workers' default)")
  String model;

  @Option(names = "--no-cache", description = "do not answer from the balancer's response cache, nor fill it")
  boolean noCache;
}
