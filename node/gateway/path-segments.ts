// A URL path segment as the routes read it (/f/ and /m/ both): percent-decoded, or as it is when its escapes are
// malformed (the route then fails on it with its own error, a 400 or a 404, never a crash in decodeURIComponent).
export function decodePathSegment (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
