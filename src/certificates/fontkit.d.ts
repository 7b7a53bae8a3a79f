/** The part of fontkit (pdfkit's font engine) the certificates use: opening a face to ask which characters it has and how wide it draws a line. */
declare module 'fontkit' {
  interface Font {
    postscriptName: string;
    familyName: string;
    hasGlyphForCodePoint(codePoint: number): boolean;
    unitsPerEm: number;
    layout(text: string): { glyphs: { id: number }[]; positions: { xAdvance: number }[] };
  }
  interface FontCollection {
    fonts: Font[];
    getFont(postscriptName: string): Font | null;
  }
  /** A font, or of a collection (.ttc) the face with this PostScript name (null when it has none) or the collection itself. */
  export function create(buffer: Uint8Array, postscriptName?: string): Font | FontCollection | null;
}
