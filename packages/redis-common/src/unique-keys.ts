/**
 * The keys of consecutive SCAN pages, each yielded once, remembering only the previous and the
 * current page. SCAN repeats a key only when the server shrinks its hash table during the scan:
 * the cursor then falls back to the start of the merged bucket, whose other parts were visited
 * just before, so a repeat comes from the page just read (or the same page). That bucket holds
 * about one key, so repeats are rare, and two pages of keys are all the memory it takes. (A
 * shrink by more buckets than one page visits, when nearly every key of the server was
 * deleted during the scan, could repeat a key from an older page.)
 */
export async function* uniqueKeys(pages: AsyncIterable<Iterable<string>>): AsyncGenerator<string> {
  let previous = new Set<string>();
  for await (const page of pages) {
    const current = new Set<string>();
    for (const key of page) {
      if (current.has(key) || previous.has(key)) continue;
      current.add(key);
      yield key;
    }
    previous = current;
  }
}
