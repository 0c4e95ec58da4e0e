import type { KindInfo } from '../kinds/kind.js';
import { apiVersionOf } from '../kinds/kind.js';
import type { KubeObject } from '../store/object.js';
import { JSON_CONTENT_TYPE } from './exchange.js';
import { partialObjectMetadata, renderTable, type IncludeObject } from './table.js';

/**
 * What representation the client asked for in Accept: the object itself,
 * a Table (kubectl get), or metadata only (controller-runtime's metadata
 * clients). Bodies are always JSON.
 */
export interface ResponseShape {
  readonly kind: 'object' | 'table' | 'metadata';
  readonly contentType: string;
}

const OBJECT: ResponseShape = { kind: 'object', contentType: JSON_CONTENT_TYPE };
const TABLE: ResponseShape = { kind: 'table', contentType: JSON_CONTENT_TYPE };

export function responseShape(accept: string | undefined): ResponseShape {
  if (!accept || !accept.includes('as=')) return OBJECT;
  for (const raw of accept.split(',')) {
    const params = new Map(
      raw
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    const as = params.get('as');
    if (params.get('g') !== 'meta.k8s.io' || (params.get('v') !== 'v1' && params.get('v') !== 'v1beta1')) continue;
    const v = params.get('v')!;
    // kube-apiserver labels a Table answer plain application/json (the parameters are only asked for).
    if (as === 'Table') return TABLE;
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      return { kind: 'metadata', contentType: `application/json;as=${as};v=${v};g=meta.k8s.io` };
    }
  }
  return OBJECT;
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export function shapeObject(shape: ResponseShape, kind: KindInfo, obj: KubeObject, query: URLSearchParams): unknown {
  switch (shape.kind) {
    case 'object':
      return obj;
    case 'metadata':
      return partialObjectMetadata(obj);
    case 'table':
      return renderTable(kind, [obj], { resourceVersion: obj.metadata.resourceVersion }, includeObject(query));
  }
}

export function shapeList(
  shape: ResponseShape,
  kind: KindInfo,
  items: readonly KubeObject[],
  metadata: Record<string, unknown>,
  query: URLSearchParams,
): unknown {
  switch (shape.kind) {
    case 'object':
      return { kind: kind.listKind, apiVersion: apiVersionOf(kind), metadata, items };
    case 'metadata':
      return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(partialObjectMetadata) };
    case 'table':
      return renderTable(kind, items, metadata, includeObject(query));
  }
}
