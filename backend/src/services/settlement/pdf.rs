//! PDF versions of statements and event reports: plain A4 landscape pages of tables, set
//! in the standard Helvetica and Courier fonts (nothing embedded), so the same figures
//! always give the same bytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 842.0;
const HEIGHT: f32 = 595.0;
const MARGIN: f32 = 36.0;
const CELL_SIZE: f32 = 8.0;
const LINE: f32 = 11.0;

/// A column: heading, width in characters, and whether figures align right.
pub struct Column {
    pub heading: &'static str,
    pub chars: usize,
    pub right: bool,
}

pub struct Table {
    pub heading: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// A document: a title, lines of particulars, then tables.
pub struct Document {
    pub title: String,
    pub lines: Vec<String>,
    pub tables: Vec<Table>,
}

/// Text in the fonts' WinAnsi encoding; what it cannot show becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '£' => 0xA3,
            '–' => 0x96,
            '—' => 0x97,
            '·' => 0xB7,
            '×' => 0xD7,
            '÷' => 0xF7,
            _ => b'?',
        })
        .collect()
}

/// Courier's advance is 0.6 em for every glyph.
fn courier_width(chars: usize) -> f32 {
    chars as f32 * CELL_SIZE * 0.6
}

struct Pages {
    contents: Vec<Content>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        let mut pages = Self {
            contents: Vec::new(),
            y: 0.0,
        };
        pages.page();
        pages
    }

    fn page(&mut self) {
        self.contents.push(Content::new());
        self.y = HEIGHT - MARGIN;
    }

    fn current(&mut self) -> &mut Content {
        if self.contents.is_empty() {
            self.contents.push(Content::new());
        }
        let last = self.contents.len() - 1;
        &mut self.contents[last]
    }

    fn text(&mut self, font: &[u8], size: f32, x: f32, text: &str) {
        let y = self.y;
        let content = self.current();
        content.begin_text();
        content.set_font(Name(font), size);
        content.next_line(x, y);
        content.show(Str(&win_ansi(text)));
        content.end_text();
    }

    /// Room for `lines` more lines, or a new page.
    fn need(&mut self, height: f32) -> bool {
        if self.y - height < MARGIN {
            self.page();
            true
        } else {
            false
        }
    }

    fn header(&mut self, table: &Table) {
        let mut x = MARGIN;
        for column in &table.columns {
            self.text(b"F2", 7.0, x, column.heading);
            x += courier_width(column.chars) + 8.0;
        }
        self.y -= LINE;
    }

    fn row(&mut self, table: &Table, cells: &[String]) {
        let mut x = MARGIN;
        for (column, cell) in table.columns.iter().zip(cells) {
            let shown: String = cell.chars().take(column.chars).collect();
            let offset = if column.right {
                courier_width(column.chars) - courier_width(shown.chars().count())
            } else {
                0.0
            };
            self.text(b"F3", CELL_SIZE, x + offset, &shown);
            x += courier_width(column.chars) + 8.0;
        }
        self.y -= LINE;
    }
}

/// Renders `doc` as a PDF.
pub fn render(doc: &Document) -> Vec<u8> {
    let mut pages = Pages::new();
    pages.text(b"F2", 16.0, MARGIN, &doc.title);
    pages.y -= 24.0;
    for line in &doc.lines {
        pages.need(LINE);
        pages.text(b"F1", 9.0, MARGIN, line);
        pages.y -= LINE + 1.0;
    }
    for table in &doc.tables {
        pages.y -= 10.0;
        pages.need(3.0 * LINE);
        pages.text(b"F2", 11.0, MARGIN, &table.heading);
        pages.y -= LINE + 4.0;
        pages.header(table);
        for row in &table.rows {
            if pages.need(LINE) {
                pages.header(table);
            }
            pages.row(table, row);
        }
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [
        (Ref::new(3), b"F1", b"Helvetica".as_slice()),
        (Ref::new(4), b"F2", b"Helvetica-Bold".as_slice()),
        (Ref::new(5), b"F3", b"Courier".as_slice()),
    ];
    let count = pages.contents.len();
    let page_ids: Vec<Ref> = (0..count)
        .map(|i| Ref::new(6 + 2 * i32::try_from(i).unwrap_or(0)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(count).unwrap_or(i32::MAX));
    for (font_ref, _, base) in &fonts {
        pdf.type1_font(*font_ref)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (i, (content, page_id)) in pages.contents.into_iter().zip(&page_ids).enumerate() {
        let content_id = Ref::new(7 + 2 * i32::try_from(i).unwrap_or(0));
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut font_dict = resources.fonts();
        for (font_ref, name, _) in &fonts {
            font_dict.pair(Name(name.as_slice()), *font_ref);
        }
        font_dict.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
