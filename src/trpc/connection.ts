// A page as tRPC answers it: GraphQL's connection shape (edges with their cursors, nodes,
// pageInfo), as the contract asks of every tRPC output, beside the page's own hasNextPage and
// endCursor (what tRPC clients read before, kept).
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export function connectionOf<T>(page: Page<T>, cursorOf: (node: T) => string) {
  return {
    ...page,
    edges: page.nodes.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}
