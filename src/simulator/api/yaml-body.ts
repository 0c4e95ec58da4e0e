import { load as loadYaml, YAMLException } from 'js-yaml';
import { badRequest } from './errors.js';
import { JsonShapeError, MAX_NESTING_DEPTH } from './json-limits.js';

/**
 * js-yaml counts the document itself as one level of nesting, so a value
 * nested MAX_NESTING_DEPTH deep needs one more. Its parser recurses per
 * level: this bound is also what keeps it on the stack.
 */
const YAML_PARSER_MAX_DEPTH = MAX_NESTING_DEPTH + 1;

/**
 * Parses a YAML (or JSON) body with the nesting limit applied while
 * parsing. Aliases are expanded lazily by sharing: callers measure the
 * result with checkJsonShape before walking it.
 *
 * @param what how the error message starts, e.g. "the request body is not valid YAML"
 * @throws JsonShapeError when nested too deep; a 400 for any other YAML error
 */
export function loadYamlBounded(text: string, what: string): unknown {
  try {
    return loadYaml(text, { maxDepth: YAML_PARSER_MAX_DEPTH });
  } catch (e) {
    if (e instanceof YAMLException && e.reason.startsWith('nesting exceeded maxDepth')) {
      const at = e.mark?.position === undefined ? undefined : text[e.mark.position - 1];
      throw new JsonShapeError(at === '[' ? '[' : '{', false);
    }
    throw badRequest(`${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}
