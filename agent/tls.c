#include "agent/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tls_identity {
    char *ca_file, *cert_file, *key_file;
    char *fingerprint, *subject, *ca_pem;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)

#define CERT_DAYS         3650
#define MACHINE_ID_RECORD "machine-id"

/* Where this machine's id is read. THINDESK_MACHINE_ID_FILE replaces the
 * path for tests only (they fake clones and containers); not a user option. */
static const char *machine_id_path(void)
{
    const char *path = g_getenv("THINDESK_MACHINE_ID_FILE");
    return path && *path ? path : "/etc/machine-id";
}

char *tls_machine_id_parse(const char *text)
{
    if (!text)
        return NULL;
    char *id = g_strstrip(g_strdup(text));
    if (!*id || strchr(id, '\n') || strcmp(id, "uninitialized") == 0) {
        g_free(id);
        return NULL;
    }
    return id;
}

bool tls_machine_id_changed(const char *recorded, const char *current)
{
    if (!current)
        return false; /* no id (a container): nothing to compare, keep */
    return !recorded || strcmp(recorded, current) != 0;
}

/* The id in @path, parsed; NULL when missing, unreadable or empty. */
static char *read_machine_id(const char *path)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return tls_machine_id_parse(text);
}

char *tls_default_dir(void)
{
    return g_build_filename(g_get_user_config_dir(), "thindesk", "tls", NULL);
}

static char *openssl_error(void)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    if (!e)
        return g_strdup("unknown OpenSSL error");
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return g_strdup(buf);
}

/* Host names become the CN; anything unusual is replaced. */
static char *certificate_cn(void)
{
    char *cn = g_strdup(g_get_host_name());
    for (char *p = cn; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
            *p = '-';
    if (!*cn || strlen(cn) > 64) {
        g_free(cn);
        cn = g_strdup("thindesk-agent");
    }
    return cn;
}

static bool add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* Writes @text to @path with @mode, through a temporary file renamed into
 * place so that a crash never leaves half a key. */
static bool write_private(const char *path, const char *text, size_t len, mode_t mode)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
    int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    bool ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok)
        ok = g_rename(tmp, path) == 0;
    if (!ok)
        g_unlink(tmp);
    return ok;
}

static char *bio_text(BIO *bio, size_t *ret_len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    *ret_len = n;
    return g_strndup(data, n);
}

static int create_identity(const char *dir, const char *cert_file, const char *key_file,
                           const char *ca_file, char **ret_error)
{
    g_autoptr(EVP_PKEY) key = EVP_EC_gen("P-256");
    g_autoptr(X509) cert = X509_new();
    g_autofree char *cn = certificate_cn();
    g_autofree char *san = g_strdup_printf("DNS:%s", cn);
    g_autoptr(BIO) kb = BIO_new(BIO_s_mem());
    g_autoptr(BIO) cb = BIO_new(BIO_s_mem());
    g_autofree char *ktext = NULL, *ctext = NULL;
    size_t klen = 0, clen = 0;
    unsigned char serial[16];
    if (!key || !cert || RAND_bytes(serial, sizeof(serial)) != 1)
        goto err_ssl;
    serial[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(cert);
    ok = ok && X509_set_version(cert, X509_VERSION_3) &&
         X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), (long)CERT_DAYS * 86400) &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"thindesk", -1,
                                    -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_issuer_name(cert, name) && X509_set_pubkey(cert, key);
    /* Its own CA: clients trust exactly this certificate through ca=. */
    ok = ok && add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") &&
         add_ext(cert, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert, NID_subject_key_identifier, "hash") &&
         add_ext(cert, NID_subject_alt_name, san) && X509_sign(cert, key, EVP_sha256()) > 0;
    if (!ok)
        goto err_ssl;

    if (!kb || !cb || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cb, cert))
        goto err_ssl;
    ktext = bio_text(kb, &klen);
    ctext = bio_text(cb, &clen);
    if (!write_private(key_file, ktext, klen, 0600) ||
        !write_private(cert_file, ctext, clen, 0644) ||
        !write_private(ca_file, ctext, clen, 0644)) {
        int e = errno;
        memset(ktext, 0, klen);
        *ret_error =
            g_strdup_printf("cannot write the TLS certificate into %s: %s", dir, g_strerror(e));
        return -e;
    }
    memset(ktext, 0, klen);
    return 0;

err_ssl:;
    g_autofree char *why = openssl_error();
    *ret_error = g_strdup_printf("cannot create a TLS certificate: %s", why);
    return -EIO;
}

/* host-subject syntax of spice-gtk: KEY=VALUE pairs separated by ',' in
 * certificate order, with ',' and '\' escaped by '\'. */
static char *subject_string(X509_NAME *name)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < X509_NAME_entry_count(name); i++) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        unsigned char *utf8 = NULL;
        if (ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e)) < 0)
            continue;
        if (s->len)
            g_string_append_c(s, ',');
        g_string_append_printf(s, "%s=", nid != NID_undef ? OBJ_nid2sn(nid) : "?");
        for (const unsigned char *p = utf8; *p; p++) {
            if (*p == ',' || *p == '\\')
                g_string_append_c(s, '\\');
            g_string_append_c(s, *p);
        }
        OPENSSL_free(utf8);
    }
    return g_string_free(s, FALSE);
}

static X509 *read_cert(const char *path, char **ret_error)
{
    g_autoptr(BIO) b = BIO_new_file(path, "r");
    X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    if (!cert) {
        g_autofree char *why = openssl_error();
        *ret_error = g_strdup_printf("cannot read the TLS certificate %s: %s", path, why);
    }
    return cert;
}

/* Whether @path is a certificate the agent made: self-issued, O=thindesk. */
static bool made_by_agent(const char *path)
{
    g_autofree char *error = NULL;
    g_autoptr(X509) cert = read_cert(path, &error);
    if (!cert)
        return false;
    g_autofree char *subject = subject_string(X509_get_subject_name(cert));
    return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
           g_str_has_prefix(subject, "O=thindesk,");
}

/* Records @machine_id beside the agent's own key (0600). */
static int record_machine_id(const char *dir, const char *machine_id, char **ret_error)
{
    g_autofree char *path = g_build_filename(dir, MACHINE_ID_RECORD, NULL);
    g_autofree char *text = g_strdup_printf("%s\n", machine_id);
    if (!write_private(path, text, strlen(text), 0600)) {
        int e = errno;
        *ret_error = g_strdup_printf("cannot write %s: %s", path, g_strerror(e));
        return -e;
    }
    return 0;
}

struct tls_identity *tls_identity_load(const char *dir, bool create, char **ret_error)
{
    g_autofree char *ca = g_build_filename(dir, "ca-cert.pem", NULL);
    g_autofree char *crt = g_build_filename(dir, "server-cert.pem", NULL);
    g_autofree char *key = g_build_filename(dir, "server-key.pem", NULL);
    bool have = g_file_test(ca, G_FILE_TEST_EXISTS) && g_file_test(crt, G_FILE_TEST_EXISTS) &&
                g_file_test(key, G_FILE_TEST_EXISTS);
    if (!have && !create) {
        *ret_error = g_strdup_printf(
            "--x509-dir %s must hold ca-cert.pem, server-cert.pem and server-key.pem", dir);
        return NULL;
    }
    if (!have) {
        if (g_mkdir_with_parents(dir, 0700) < 0) {
            *ret_error = g_strdup_printf("cannot create %s: %s", dir, g_strerror(errno));
            return NULL;
        }
        g_chmod(dir, 0700);
    }
    g_autofree char *machine_id = create ? read_machine_id(machine_id_path()) : NULL;
    bool regenerate = false;
    if (have && machine_id) {
        g_autofree char *record = g_build_filename(dir, MACHINE_ID_RECORD, NULL);
        g_autofree char *recorded = read_machine_id(record);
        /* Without a record only a certificate the agent made is replaced:
         * files an admin put there themselves stay. */
        regenerate =
            tls_machine_id_changed(recorded, machine_id) && (recorded || made_by_agent(crt));
    }
    if (!have || regenerate) {
        if (create_identity(dir, crt, key, ca, ret_error) < 0)
            return NULL;
        if (machine_id && record_machine_id(dir, machine_id, ret_error) < 0)
            return NULL;
        if (regenerate)
            g_message("regenerated the TLS key and certificate: this machine's id changed "
                      "(a cloned VM?)");
        else
            g_message("created a TLS key and self-signed certificate in %s", dir);
    }
    if (create) {
        /* Our own key must stay private: refuse one others could read. */
        struct stat st;
        if (g_stat(key, &st) == 0 && (st.st_mode & 077)) {
            *ret_error =
                g_strdup_printf("TLS key %s is readable by others: run chmod 600 %s", key, key);
            return NULL;
        }
    }
    if (access(key, R_OK) != 0) {
        *ret_error = g_strdup_printf("cannot read the TLS key %s: %s", key, g_strerror(errno));
        return NULL;
    }
    g_autoptr(X509) cert = read_cert(crt, ret_error);
    if (!cert)
        return NULL;
    g_autofree char *ca_pem = NULL;
    g_autoptr(GError) gerr = NULL;
    if (!g_file_get_contents(ca, &ca_pem, NULL, &gerr)) {
        *ret_error = g_strdup_printf("cannot read the CA certificate: %s", gerr->message);
        return NULL;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!X509_digest(cert, EVP_sha256(), md, &mdlen)) {
        *ret_error = g_strdup("cannot hash the TLS certificate");
        return NULL;
    }
    GString *fp = g_string_new(NULL);
    for (unsigned i = 0; i < mdlen; i++)
        g_string_append_printf(fp, "%s%02X", i ? ":" : "", md[i]);

    struct tls_identity *id = g_new0(struct tls_identity, 1);
    id->ca_file = g_steal_pointer(&ca);
    id->cert_file = g_steal_pointer(&crt);
    id->key_file = g_steal_pointer(&key);
    id->fingerprint = g_string_free(fp, FALSE);
    id->subject = subject_string(X509_get_subject_name(cert));
    id->ca_pem = g_steal_pointer(&ca_pem);
    return id;
}

void tls_identity_destroy(struct tls_identity *id)
{
    if (!id)
        return;
    g_free(id->ca_file);
    g_free(id->cert_file);
    g_free(id->key_file);
    g_free(id->fingerprint);
    g_free(id->subject);
    g_free(id->ca_pem);
    g_free(id);
}

const char *tls_identity_ca_file(const struct tls_identity *id)
{
    return id->ca_file;
}
const char *tls_identity_cert_file(const struct tls_identity *id)
{
    return id->cert_file;
}
const char *tls_identity_key_file(const struct tls_identity *id)
{
    return id->key_file;
}
const char *tls_identity_fingerprint(const struct tls_identity *id)
{
    return id->fingerprint;
}
const char *tls_identity_subject(const struct tls_identity *id)
{
    return id->subject;
}
const char *tls_identity_ca_pem(const struct tls_identity *id)
{
    return id->ca_pem;
}
