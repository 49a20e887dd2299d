// libpng behind a status-returning API. libpng reports errors through png_error, which longjmps
// to the setjmp in the entry points below, never across a Swift frame.
#include "include/CTunePrepImaging_png.h"
#include "color.h"
#include "report.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    CTunePrepImaging_report *report;
    CTunePrepImaging_status status;   // what a longjmp means; CORRUPT unless said otherwise
    size_t allocated;                 // bytes libpng holds now, through tp_png_malloc
    size_t allocation_cap;            // the most it may hold at once
} tp_png_reader;

// Every libpng allocation goes through here and counts against `allocation_cap`, so no chunk
// or structure can drive the process past it, whatever a chunk declares. The size is kept in a
// header before the block, for the free.
typedef union {
    size_t size;
    max_align_t align;
} tp_png_block;

static png_voidp tp_png_malloc(png_structp png, png_alloc_size_t size) {
    tp_png_reader *reader = (tp_png_reader *)png_get_mem_ptr(png);
    if (reader != NULL && (size > reader->allocation_cap || reader->allocated > reader->allocation_cap - size)) {
        reader->status = CTunePrepImaging_LIMITS;
        return NULL;  // libpng reports "Out of memory" (or skips an ancillary chunk)
    }
    tp_png_block *block = malloc(sizeof(tp_png_block) + size);
    if (block == NULL) return NULL;
    block->size = size;
    if (reader != NULL) reader->allocated += size;
    return block + 1;
}

static void tp_png_free(png_structp png, png_voidp pointer) {
    if (pointer == NULL) return;
    tp_png_block *block = (tp_png_block *)pointer - 1;
    tp_png_reader *reader = (tp_png_reader *)png_get_mem_ptr(png);
    if (reader != NULL) reader->allocated -= block->size;
    free(block);
}

// Walks the chunk list before libpng sees it: every chunk must fit in the file (the whole PNG
// is in memory, so a declared length past its end is a lie, and the cheapest bomb: a 46-byte file
// whose sPLT declares 1 GB). With `stop_at_idat` (a header read from the file's beginning) the
// walk ends at the first IDAT, whose data may lie past what was read.
static CTunePrepImaging_status tp_png_scan_chunks(const uint8_t *data, size_t size, int stop_at_idat,
                                                  CTunePrepImaging_report *report) {
    size_t offset = 8;
    while (size - offset >= 8) {
        const uint8_t *p = data + offset;
        uint32_t length = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        char name[5] = {(char)p[4], (char)p[5], (char)p[6], (char)p[7], '\0'};
        for (int i = 0; i < 4; i++) {
            if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z'))) name[i] = '?';
        }
        if (stop_at_idat && memcmp(name, "IDAT", 4) == 0) return CTunePrepImaging_OK;
        char text[CTunePrepImaging_MESSAGE_CAPACITY];
        if (length > 0x7fffffffu) {
            snprintf(text, sizeof text, "chunk %s declares %u bytes, over the PNG maximum of 2^31-1", name, length);
            CTunePrepImaging_report_error(report, text);
            return CTunePrepImaging_CORRUPT;
        }
        size_t left = size - offset - 8;
        if ((size_t)length + 4 > left) {
            snprintf(text, sizeof text, "chunk %s declares %u bytes but the file ends %zu bytes later (truncated)",
                     name, length, left);
            CTunePrepImaging_report_error(report, text);
            return CTunePrepImaging_TRUNCATED;
        }
        offset += 12 + (size_t)length;
        if (memcmp(name, "IEND", 4) == 0) return CTunePrepImaging_OK;
    }
    return CTunePrepImaging_OK;  // a missing IEND is libpng's to report
}


static void tp_png_error(png_structp png, png_const_charp text) {
    tp_png_reader *reader = (tp_png_reader *)png_get_error_ptr(png);
    if (reader != NULL) {
        CTunePrepImaging_report_error(reader->report, text);
        if (reader->status == CTunePrepImaging_OK) reader->status = CTunePrepImaging_CORRUPT;
        // libpng says "... exceeds limit"/"too large" when a chunk passes our allocation caps.
        if (strstr(text, "too large") != NULL || strstr(text, "exceeds") != NULL ||
            strstr(text, "limit") != NULL) {
            if (reader->status == CTunePrepImaging_CORRUPT) reader->status = CTunePrepImaging_LIMITS;
        }
    }
    png_longjmp(png, 1);
}

static void tp_png_warning(png_structp png, png_const_charp text) {
    tp_png_reader *reader = (tp_png_reader *)png_get_error_ptr(png);
    if (reader != NULL) CTunePrepImaging_report_warning(reader->report, text);
}

static void tp_png_read(png_structp png, png_bytep out, size_t count) {
    tp_png_reader *reader = (tp_png_reader *)png_get_io_ptr(png);
    if (count > reader->size - reader->offset) {
        reader->status = CTunePrepImaging_TRUNCATED;
        png_error(png, "file ends before the image does (truncated)");
    }
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
}

// A reader whose allocations are capped: 2 x the chunk cap (a chunk and its decompressed form)
// plus 64 MB for libpng's row buffers (a few rows of at most 2^20 16-bit RGBA pixels).
static png_structp tp_png_create_reader(tp_png_reader *reader, const CTunePrepImaging_decode_options *limits) {
    size_t chunk_max = limits->max_chunk_bytes > 0 ? (size_t)limits->max_chunk_bytes : (size_t)8 << 20;
    reader->allocated = 0;
    reader->allocation_cap = 2 * chunk_max + ((size_t)64 << 20);
    return png_create_read_struct_2(PNG_LIBPNG_VER_STRING, reader, tp_png_error, tp_png_warning,
                                    reader, tp_png_malloc, tp_png_free);
}

static void tp_png_apply_limits(png_structp png, const CTunePrepImaging_decode_options *limits) {
    // Per-dimension limit far above any photo; the pixel-count limit is checked after IHDR.
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_set_chunk_cache_max(png, 1000);
    png_alloc_size_t chunk_max = limits->max_chunk_bytes > 0 ? (png_alloc_size_t)limits->max_chunk_bytes : 8u << 20;
    png_set_chunk_malloc_max(png, chunk_max);
    // Ancillary chunks that are never used are skipped unread: text (where decompression bombs
    // hide; EXIF is read separately, from the raw bytes, as is eXIf) and the ones libpng would
    // allocate for by their declared length (sPLT, pCAL, sCAL, hIST...). Kept: PLTE, tRNS, gAMA,
    // sRGB, iCCP, which the decode uses.
    static const png_byte unused_chunks[] = "tEXt\0zTXt\0iTXt\0sPLT\0pCAL\0sCAL\0hIST\0eXIf\0tIME\0"
                                           "oFFs\0pHYs\0sBIT\0bKGD\0cHRM\0sTER\0";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, unused_chunks, (int)(sizeof unused_chunks / 5));
}

static int tp_png_signature_ok(const uint8_t *data, size_t size) {
    return size >= 8 && png_sig_cmp(data, 0, 8) == 0;
}

static void tp_png_fill_info(png_structp png, png_infop info, CTunePrepImaging_png_info *out) {
    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->color_type = png_get_color_type(png, info);
    out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    out->has_transparency = (out->color_type & PNG_COLOR_MASK_ALPHA) != 0 ||
                            png_get_valid(png, info, PNG_INFO_tRNS) != 0;
}

CTunePrepImaging_status CTunePrepImaging_png_read_info(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *limits,
    CTunePrepImaging_png_info *info, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (info == NULL || limits == NULL) {
        CTunePrepImaging_report_error(report, "bad argument to png_read_info");
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    if (!tp_png_signature_ok(data, size)) {
        CTunePrepImaging_report_error(report, "not a PNG signature");
        return CTunePrepImaging_CORRUPT;
    }
    CTunePrepImaging_status scanned = tp_png_scan_chunks(data, size, 1, report);
    if (scanned != CTunePrepImaging_OK) return scanned;
    tp_png_reader reader = {data, size, 0, report, CTunePrepImaging_OK, 0, 0};
    png_structp png = tp_png_create_reader(&reader, limits);
    if (png == NULL) {
        CTunePrepImaging_report_error(report, "out of memory creating a PNG reader");
        return CTunePrepImaging_NO_MEMORY;
    }
    png_infop png_info = png_create_info_struct(png);
    if (png_info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        CTunePrepImaging_report_error(report, "out of memory creating PNG info");
        return CTunePrepImaging_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &png_info, NULL);
        return reader.status == CTunePrepImaging_OK ? CTunePrepImaging_CORRUPT : reader.status;
    }
    tp_png_apply_limits(png, limits);
    png_set_read_fn(png, &reader, tp_png_read);
    png_read_info(png, png_info);
    tp_png_fill_info(png, png_info, info);
    png_destroy_read_struct(&png, &png_info, NULL);
    return CTunePrepImaging_OK;
}

// Rows read per call when rows go to a sink.
#define TP_PNG_ROWS_PER_CALL 16

// Turns `count` decoded pixels (RGB or RGBA) into sRGB RGB in place: alpha composited over the
// background, then the colour transform, if any.
static void tp_png_finish_pixels(uint8_t *pixels, size_t count, int channels, cmsHTRANSFORM transform,
                                 uint8_t red, uint8_t green, uint8_t blue) {
    // Compositing in place is safe: the RGB write never overtakes the RGBA read.
    if (channels == 4) CTunePrepImaging_composite(pixels, pixels, count, red, green, blue);
    if (transform != NULL) CTunePrepImaging_color_apply(transform, pixels, pixels, count);
}

CTunePrepImaging_status CTunePrepImaging_png_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *limits,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (image == NULL || limits == NULL) {
        CTunePrepImaging_report_error(report, "bad argument to png_decode");
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    image->pixels = NULL;
    image->width = 0;
    image->height = 0;
    if (!tp_png_signature_ok(data, size)) {
        CTunePrepImaging_report_error(report, size < 8 ? "file too short for a PNG" : "not a PNG signature");
        return size < 8 ? CTunePrepImaging_TRUNCATED : CTunePrepImaging_CORRUPT;
    }
    CTunePrepImaging_status scanned = tp_png_scan_chunks(data, size, 0, report);
    if (scanned != CTunePrepImaging_OK) return scanned;
    tp_png_reader reader = {data, size, 0, report, CTunePrepImaging_OK, 0, 0};
    png_structp png = tp_png_create_reader(&reader, limits);
    if (png == NULL) {
        CTunePrepImaging_report_error(report, "out of memory creating a PNG reader");
        return CTunePrepImaging_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        CTunePrepImaging_report_error(report, "out of memory creating PNG info");
        return CTunePrepImaging_NO_MEMORY;
    }
    // Written after setjmp and freed after a longjmp: volatile.
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    cmsHTRANSFORM volatile transform = NULL;
    CTunePrepImaging_status failure = CTunePrepImaging_OK;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        if (transform != NULL) cmsDeleteTransform(transform);
        return reader.status == CTunePrepImaging_OK ? CTunePrepImaging_CORRUPT : reader.status;
    }
    tp_png_apply_limits(png, limits);
    png_set_read_fn(png, &reader, tp_png_read);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (CTunePrepImaging_over_pixel_limit(width, height, limits->max_pixels, report)) {
        png_destroy_read_struct(&png, &info, NULL);
        return CTunePrepImaging_TOO_LARGE;
    }

    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    image->profile[0] = '\0';
    image->color_converted = 0;
    image->image_count = 1;
    if (limits->manage_color) {
        // sRGB chunk: already sRGB. iCCP: convert (colour images; a grey profile is left alone).
        // gAMA alone: libpng converts from the file's gamma to sRGB's.
        png_charp name = NULL;
        int compression = 0;
        png_bytep profile = NULL;
        png_uint_32 profile_size = 0;
        double gamma = 0;
        if (png_get_valid(png, info, PNG_INFO_sRGB)) {
            snprintf(image->profile, sizeof image->profile, "sRGB (sRGB chunk)");
        } else if (png_get_iCCP(png, info, &name, &compression, &profile, &profile_size)) {
            if ((color_type & PNG_COLOR_MASK_COLOR) != 0) {
                transform = CTunePrepImaging_color_transform(profile, profile_size, TYPE_RGB_8, image->profile, sizeof image->profile, report);
            }
        } else if (png_get_gAMA(png, info, &gamma) && (gamma < 0.4 || gamma > 0.5)) {
            snprintf(image->profile, sizeof image->profile, "gamma %.2f (gAMA chunk)", 1.0 / gamma);
            png_set_gamma(png, PNG_DEFAULT_sRGB, PNG_DEFAULT_sRGB);
            image->color_converted = 1;
        }
    }
    png_set_expand(png);                       // palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha
    if (bit_depth == 16) png_set_scale_16(png); // rounds, unlike strip_16
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((channels != 3 && channels != 4) || rowbytes != (size_t)width * (size_t)channels) {
        CTunePrepImaging_report_error(report, "unexpected PNG layout after transformation");
        failure = CTunePrepImaging_UNSUPPORTED;
        goto abandon;
    }
    if (CTunePrepImaging_sink_size_differs(sink, width, height, report)) {
        failure = CTunePrepImaging_BAD_ARGUMENT;
        goto abandon;
    }
    // With a sink, a non-interlaced PNG is read a few rows at a time and only those are held;
    // an interlaced one has to be whole before any row is final, so it goes to the sink at the end.
    const int streaming = sink != NULL && png_get_interlace_type(png, info) == PNG_INTERLACE_NONE;
    const size_t held = streaming ? TP_PNG_ROWS_PER_CALL : height;
    pixels = malloc(rowbytes * held);
    rows = malloc(sizeof(png_bytep) * held);
    if (pixels == NULL || rows == NULL) {
        CTunePrepImaging_report_error(report, "out of memory for the decoded image");
        failure = CTunePrepImaging_NO_MEMORY;
        goto abandon;
    }
    for (size_t y = 0; y < held; y++) rows[y] = pixels + y * rowbytes;
    if (streaming) {
        for (png_uint_32 y = 0; y < height; y += TP_PNG_ROWS_PER_CALL) {
            png_uint_32 count = height - y < TP_PNG_ROWS_PER_CALL ? height - y : TP_PNG_ROWS_PER_CALL;
            png_read_rows(png, rows, NULL, count);
            tp_png_finish_pixels(pixels, (size_t)width * count, channels, transform,
                                 background_red, background_green, background_blue);
            if (sink->write(sink->context, pixels, (size_t)width * 3, count) != 0) {
                CTunePrepImaging_report_error(report, "the resize refused a row");
                failure = CTunePrepImaging_BAD_ARGUMENT;
                goto abandon;
            }
        }
    } else {
        png_read_image(png, rows);
    }
    png_read_end(png, NULL); // reads through IEND, so a file cut after the pixel data still fails
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    rows = NULL;

    if (!streaming) {
        tp_png_finish_pixels(pixels, (size_t)width * height, channels, transform,
                             background_red, background_green, background_blue);
        if (channels == 4) {
            uint8_t *shrunk = realloc(pixels, (size_t)width * height * 3);
            if (shrunk != NULL) pixels = shrunk;
        }
    }
    if (transform != NULL) {
        cmsDeleteTransform(transform);
        image->color_converted = 1;
    }
    if (sink != NULL) {
        int refused = !streaming && sink->write(sink->context, pixels, (size_t)width * 3, height) != 0;
        free(pixels);
        pixels = NULL;
        if (refused) {
            CTunePrepImaging_report_error(report, "the resize refused a row");
            return CTunePrepImaging_BAD_ARGUMENT;
        }
    }
    image->pixels = pixels;
    image->width = width;
    image->height = height;
    return CTunePrepImaging_OK;

abandon:
    // A failure found here (libpng's own errors longjmp to the handler above): the same cleanup.
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    if (transform != NULL) cmsDeleteTransform(transform);
    return failure;
}

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
} tp_png_writer;

static void tp_png_write(png_structp png, png_bytep bytes, size_t count) {
    tp_png_writer *writer = (tp_png_writer *)png_get_io_ptr(png);
    if (writer->size + count > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (capacity < writer->size + count) capacity *= 2;
        uint8_t *grown = realloc(writer->data, capacity);
        if (grown == NULL) {
            writer->failed = 1;
            png_error(png, "out of memory for the encoded PNG");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, count);
    writer->size += count;
}

static void tp_png_flush(png_structp png) { (void)png; }

CTunePrepImaging_status CTunePrepImaging_png_encode(
    const uint8_t *samples, uint32_t width, uint32_t height,
    const CTunePrepImaging_png_encode_options *options,
    uint8_t **output, size_t *output_size, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (samples == NULL || options == NULL || output == NULL || output_size == NULL || width == 0 || height == 0) {
        CTunePrepImaging_report_error(report, "bad argument to png_encode");
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    *output = NULL;
    *output_size = 0;
    tp_png_reader errors = {NULL, 0, 0, report, CTunePrepImaging_OK, 0, 0};
    tp_png_writer writer = {NULL, 0, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, tp_png_error, tp_png_warning);
    if (png == NULL) return CTunePrepImaging_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return CTunePrepImaging_NO_MEMORY;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(writer.data);
        return writer.failed ? CTunePrepImaging_NO_MEMORY : CTunePrepImaging_BAD_ARGUMENT;
    }
    png_set_write_fn(png, &writer, tp_png_write, tp_png_flush);
    png_set_IHDR(png, info, width, height, options->bit_depth, options->color_type,
                 options->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (options->color_type == PNG_COLOR_TYPE_PALETTE && options->palette != NULL) {
        png_color palette[256];
        int entries = options->palette_entries > 256 ? 256 : options->palette_entries;
        for (int i = 0; i < entries; i++) {
            palette[i].red = options->palette[i * 3];
            palette[i].green = options->palette[i * 3 + 1];
            palette[i].blue = options->palette[i * 3 + 2];
        }
        png_set_PLTE(png, info, palette, entries);
        if (options->transparency != NULL && options->transparency_entries > 0) {
            png_set_tRNS(png, info, options->transparency, options->transparency_entries, NULL);
        }
    }
    if (options->exif != NULL && options->exif_size > 0 && options->exif_size < (1u << 30)) {
        png_set_eXIf_1(png, info, (png_uint_32)options->exif_size, (png_bytep)options->exif);
    }
    png_write_info(png, info);
    int channels = options->color_type == PNG_COLOR_TYPE_RGB ? 3
                 : options->color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                 : options->color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    size_t rowbytes = ((size_t)width * channels * options->bit_depth + 7) / 8;
    rows = malloc(sizeof(png_bytep) * height);
    if (rows == NULL) {
        png_destroy_write_struct(&png, &info);
        free(writer.data);
        return CTunePrepImaging_NO_MEMORY;
    }
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(samples + (size_t)y * rowbytes);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *output = writer.data;
    *output_size = writer.size;
    return CTunePrepImaging_OK;
}
