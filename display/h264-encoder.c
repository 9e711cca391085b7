#include "display/h264-encoder.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <wels/codec_api.h>

/* Two slices, one per core, and two encoder threads (the machines we serve
 * from have two or more cores; a one-core machine just runs both). */
#define H264_SLICES 2

struct h264_encoder {
    ISVCEncoder *wels;
    int width, height;
    int bitrate_kbps;
    int fps;
    int applied_kbps; /* what OpenH264 has now (raised for a still frame) */
    bool keyframe_due;
    uint64_t frames;
    long long timestamp_ms;
    uint8_t *i420; /* y, then u, then v */
    GByteArray *au;
};

/* BT.709, limited range, in 1/65536: Y = 16 + kr R + kg G + kb B, and the
 * colour differences around 128 (each chroma row sums to zero). */
#define Y_R 11966
#define Y_G 40254
#define Y_B 4064
#define U_R (-6596)
#define U_G (-22188)
#define U_B 28784
#define V_R 28784
#define V_G (-26145)
#define V_B (-2639)

static inline uint8_t luma(int r, int g, int b)
{
    return (uint8_t)((Y_R * r + Y_G * g + Y_B * b + (16 << 16) + (1 << 15)) >> 16);
}

void h264_bgrx_to_i420(const uint8_t *pixels, int width, int height, int stride, uint8_t *y,
                       uint8_t *u, uint8_t *v)
{
    int cw = width / 2;
    for (int row = 0; row < height; row += 2) {
        const uint8_t *p0 = pixels + (size_t)row * stride;
        const uint8_t *p1 = p0 + stride;
        uint8_t *y0 = y + (size_t)row * width;
        uint8_t *y1 = y0 + width;
        uint8_t *ur = u + (size_t)(row / 2) * cw;
        uint8_t *vr = v + (size_t)(row / 2) * cw;
        for (int x = 0; x < cw; x++) {
            const uint8_t *a = p0 + 8 * x, *c = p1 + 8 * x;
            y0[2 * x] = luma(a[2], a[1], a[0]);
            y0[2 * x + 1] = luma(a[6], a[5], a[4]);
            y1[2 * x] = luma(c[2], c[1], c[0]);
            y1[2 * x + 1] = luma(c[6], c[5], c[4]);
            /* Sums of four: the coefficients' scale grows by 4 (>> 18). */
            int b = a[0] + a[4] + c[0] + c[4];
            int g = a[1] + a[5] + c[1] + c[5];
            int r = a[2] + a[6] + c[2] + c[6];
            ur[x] = (uint8_t)((U_R * r + U_G * g + U_B * b + (128 << 18) + (1 << 17)) >> 18);
            vr[x] = (uint8_t)((V_R * r + V_G * g + V_B * b + (128 << 18) + (1 << 17)) >> 18);
        }
    }
}

static bool size_ok(int width, int height)
{
    return width >= H264_ENCODER_MIN_SIZE && height >= H264_ENCODER_MIN_SIZE &&
           width <= H264_ENCODER_MAX_WIDTH && height <= H264_ENCODER_MAX_HEIGHT && width % 2 == 0 &&
           height % 2 == 0;
}

static bool bitrate_ok(int kbps)
{
    return kbps >= H264_ENCODER_MIN_KBPS && kbps <= H264_ENCODER_MAX_KBPS;
}

static bool fps_ok(int fps)
{
    return fps >= 1 && fps <= H264_ENCODER_MAX_FPS;
}

static void fill_params(const struct h264_encoder *enc, SEncParamExt *p)
{
    /* Camera mode: screen-content mode cost 2.5 times the CPU a 1080p
     * frame for the same PSNR on our clip (display/VIDEO.md). */
    p->iUsageType = CAMERA_VIDEO_REAL_TIME;
    p->iPicWidth = enc->width;
    p->iPicHeight = enc->height;
    p->iTargetBitrate = enc->bitrate_kbps * 1000;
    /* The peak the rate control keeps each frame under (its window is
     * short in real-time mode): the target plus a quarter. */
    p->iMaxBitrate = enc->bitrate_kbps * 1250;
    p->iRCMode = RC_BITRATE_MODE;
    p->fMaxFrameRate = (float)enc->fps;
    p->iTemporalLayerNum = 1;
    p->iSpatialLayerNum = 1;
    /* No frame skipping: in debt after heavy motion OpenH264 skipped every
     * frame, still frames included, for seconds. Over budget the QP goes
     * up instead; the stream pump drops frames when the link is full. */
    p->bEnableFrameSkip = false;
    p->uiIntraPeriod = 0; /* IDR only first and on request */
    p->iNumRefFrame = 1;
    p->eSpsPpsIdStrategy = CONSTANT_ID;
    p->bPrefixNalAddingCtrl = false;
    p->bEnableLongTermReference = false;
    p->iEntropyCodingModeFlag = 0; /* CAVLC: Constrained Baseline */
    p->iComplexityMode = LOW_COMPLEXITY;
    p->iMultipleThreadIdc = H264_SLICES;
    p->bEnableDenoise = false;
    /* Background detection skips blocks whose source did not change,
     * so a still frame after motion would never sharpen them. */
    p->bEnableBackgroundDetection = false;
    p->bEnableAdaptiveQuant = false;
    p->bEnableSceneChangeDetect = false; /* no IDR bursts the agent did not ask for */
    p->iMinQp = 10;
    p->iMaxQp = 51;
    SSpatialLayerConfig *l = &p->sSpatialLayers[0];
    l->iVideoWidth = enc->width;
    l->iVideoHeight = enc->height;
    l->fFrameRate = (float)enc->fps;
    l->iSpatialBitrate = p->iTargetBitrate;
    l->iMaxSpatialBitrate = p->iMaxBitrate;
    l->uiProfileIdc = PRO_BASELINE;
    l->sSliceArgument.uiSliceMode = SM_FIXEDSLCNUM_SLICE;
    l->sSliceArgument.uiSliceNum = H264_SLICES;
    l->bVideoSignalTypePresent = true;
    l->uiVideoFormat = 5; /* unspecified */
    l->bFullRange = false;
    l->bColorDescriptionPresent = true;
    l->uiColorPrimaries = CP_BT709;
    l->uiTransferCharacteristics = TRC_BT709;
    l->uiColorMatrix = CM_BT709;
}

struct h264_encoder *h264_encoder_create(int width, int height, int bitrate_kbps, int fps,
                                         char **ret_error)
{
    if (!size_ok(width, height)) {
#define BAD_SIZE "H.264: cannot encode %dx%d (sizes must be even, %d to %dx%d)"
        *ret_error = g_strdup_printf(BAD_SIZE, width, height, H264_ENCODER_MIN_SIZE,
                                     H264_ENCODER_MAX_WIDTH, H264_ENCODER_MAX_HEIGHT);
        return NULL;
    }
    if (!bitrate_ok(bitrate_kbps) || !fps_ok(fps)) {
#define BAD_RATE "H.264: %d kbit/s or %d frames/s out of range (%d-%d, 1-%d)"
        *ret_error = g_strdup_printf(BAD_RATE, bitrate_kbps, fps, H264_ENCODER_MIN_KBPS,
                                     H264_ENCODER_MAX_KBPS, H264_ENCODER_MAX_FPS);
        return NULL;
    }
    struct h264_encoder *enc = g_new0(struct h264_encoder, 1);
    enc->width = width;
    enc->height = height;
    enc->bitrate_kbps = bitrate_kbps;
    enc->fps = fps;
    enc->applied_kbps = bitrate_kbps;
    enc->keyframe_due = true;
    if (WelsCreateSVCEncoder(&enc->wels) != 0 || !enc->wels) {
        *ret_error = g_strdup("H.264: OpenH264 could not create an encoder");
        goto err_free;
    }
    int trace = WELS_LOG_QUIET;
    (*enc->wels)->SetOption(enc->wels, ENCODER_OPTION_TRACE_LEVEL, &trace);
    SEncParamExt p;
    (*enc->wels)->GetDefaultParams(enc->wels, &p);
    fill_params(enc, &p);
    int rv = (*enc->wels)->InitializeExt(enc->wels, &p);
    if (rv != 0) {
#define REFUSED "H.264: OpenH264 refused %dx%d at %d kbit/s, %d frames/s (error %d)"
        *ret_error = g_strdup_printf(REFUSED, width, height, bitrate_kbps, fps, rv);
        goto err_destroy;
    }
    int format = videoFormatI420;
    (*enc->wels)->SetOption(enc->wels, ENCODER_OPTION_DATAFORMAT, &format);
    enc->i420 = g_malloc((size_t)width * height * 3 / 2);
    enc->au = g_byte_array_new();
    return enc;

err_destroy:
    WelsDestroySVCEncoder(enc->wels);
err_free:
    g_free(enc);
    return NULL;
}

void h264_encoder_destroy(struct h264_encoder *enc)
{
    if (!enc)
        return;
    (*enc->wels)->Uninitialize(enc->wels);
    WelsDestroySVCEncoder(enc->wels);
    g_free(enc->i420);
    if (enc->au)
        g_byte_array_unref(enc->au);
    g_free(enc);
}

static int apply_bitrate(struct h264_encoder *enc, int kbps)
{
    /* The maximum first when raising, the target first when lowering:
     * OpenH264 keeps the target at or below the maximum. */
    SBitrateInfo target = {.iLayer = SPATIAL_LAYER_ALL, .iBitrate = kbps * 1000};
    SBitrateInfo max = {.iLayer = SPATIAL_LAYER_ALL, .iBitrate = kbps * 1250};
    ENCODER_OPTION first = ENCODER_OPTION_MAX_BITRATE, second = ENCODER_OPTION_BITRATE;
    SBitrateInfo *a = &max, *b = &target;
    if (kbps < enc->applied_kbps) {
        first = ENCODER_OPTION_BITRATE;
        second = ENCODER_OPTION_MAX_BITRATE;
        a = &target;
        b = &max;
    }
    int rv;
    if ((rv = (*enc->wels)->SetOption(enc->wels, first, a)) != 0)
        return rv;
    if ((rv = (*enc->wels)->SetOption(enc->wels, second, b)) != 0)
        return rv;
    enc->applied_kbps = kbps;
    return 0;
}

int h264_encoder_encode(struct h264_encoder *enc, const uint8_t *pixels, int stride,
                        enum h264_frame_kind kind, const uint8_t **ret_data, size_t *ret_size,
                        bool *ret_keyframe, char **ret_error)
{
    if (!enc || !pixels || stride < enc->width * 4)
        return -EINVAL;
    uint8_t *y = enc->i420;
    uint8_t *u = y + (size_t)enc->width * enc->height;
    uint8_t *v = u + (size_t)enc->width * enc->height / 4;
    h264_bgrx_to_i420(pixels, enc->width, enc->height, stride, y, u, v);

    if (enc->keyframe_due) {
        (*enc->wels)->ForceIntraFrame(enc->wels, true);
        enc->keyframe_due = false;
    }
    /* A still frame gets H264_ENCODER_STILL_FACTOR frames' budget. */
    bool still = kind == H264_FRAME_STILL;
    if (still && apply_bitrate(enc, enc->bitrate_kbps * H264_ENCODER_STILL_FACTOR) != 0)
        still = false; /* above OpenH264's maximum: a normal frame */

    SSourcePicture pic = {
        .iColorFormat = videoFormatI420,
        .iStride = {enc->width, enc->width / 2, enc->width / 2},
        .pData = {y, u, v},
        .iPicWidth = enc->width,
        .iPicHeight = enc->height,
        .uiTimeStamp = enc->timestamp_ms,
    };
    SFrameBSInfo info;
    memset(&info, 0, sizeof(info));
    int rv = (*enc->wels)->EncodeFrame(enc->wels, &pic, &info);
    if (still)
        apply_bitrate(enc, enc->bitrate_kbps);
    if (rv != cmResultSuccess) {
        *ret_error = g_strdup_printf("H.264: OpenH264 failed to encode a %dx%d frame (error %d)",
                                     enc->width, enc->height, rv);
        enc->keyframe_due = true; /* its references are in doubt */
        return -EIO;
    }
    enc->frames++;
    enc->timestamp_ms += 1000 / enc->fps;
    g_byte_array_set_size(enc->au, 0);
    if (info.eFrameType != videoFrameTypeSkip) {
        for (int l = 0; l < info.iLayerNum; l++) {
            const SLayerBSInfo *layer = &info.sLayerInfo[l];
            size_t n = 0;
            for (int i = 0; i < layer->iNalCount; i++)
                n += (size_t)layer->pNalLengthInByte[i];
            g_byte_array_append(enc->au, layer->pBsBuf, (guint)n);
        }
    }
    *ret_data = enc->au->data;
    *ret_size = enc->au->len;
    *ret_keyframe = info.eFrameType == videoFrameTypeIDR;
    return 0;
}

void h264_encoder_request_keyframe(struct h264_encoder *enc)
{
    enc->keyframe_due = true;
}

int h264_encoder_set_bitrate(struct h264_encoder *enc, int bitrate_kbps)
{
    if (!bitrate_ok(bitrate_kbps))
        return -EINVAL;
    if (apply_bitrate(enc, bitrate_kbps) != 0) {
        apply_bitrate(enc, enc->bitrate_kbps);
        return -EIO;
    }
    enc->bitrate_kbps = bitrate_kbps;
    return 0;
}

int h264_encoder_set_fps(struct h264_encoder *enc, int fps)
{
    if (!fps_ok(fps))
        return -EINVAL;
    /* ENCODER_OPTION_FRAME_RATE alone does not move the per-frame budget
     * of OpenH264's camera-mode rate control; new parameters do. */
    SEncParamExt p;
    if ((*enc->wels)->GetOption(enc->wels, ENCODER_OPTION_SVC_ENCODE_PARAM_EXT, &p) != 0)
        return -EIO;
    p.fMaxFrameRate = (float)fps;
    p.sSpatialLayers[0].fFrameRate = (float)fps;
    if ((*enc->wels)->SetOption(enc->wels, ENCODER_OPTION_SVC_ENCODE_PARAM_EXT, &p) != 0)
        return -EIO;
    enc->fps = fps;
    return 0;
}

int h264_encoder_bitrate(const struct h264_encoder *enc)
{
    return enc->bitrate_kbps;
}

int h264_encoder_fps(const struct h264_encoder *enc)
{
    return enc->fps;
}

void h264_encoder_get_size(const struct h264_encoder *enc, int *ret_width, int *ret_height)
{
    *ret_width = enc->width;
    *ret_height = enc->height;
}
