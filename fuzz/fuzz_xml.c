/* fuzz/fuzz_xml.c - aws/xml: arbitrary bytes into sw_xml_parse(); every
 * tree that comes back is walked (checking the parent links and the
 * depth limit) and looked up along the paths the agent uses, then
 * freed. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct sw_xml_node *root)
{
    const struct sw_xml_node *n = root;
    size_t depth = 1;

    while (n) {
        if (!n->name || !n->text || strlen(n->text) != n->text_len)
            abort();
        if (depth > 64)
            abort();
        if (n->child) {
            if (n->child->parent != n)
                abort();
            n = n->child;
            depth++;
            continue;
        }
        while (n && n != root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (!n || n == root)
            break;
        n = n->next;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_xml_node *root = NULL;
    char err[256];

    if (sw_xml_parse((const char *)data, size, &root, err, sizeof(err)) < 0) {
        if (root || strncmp(err, "line ", 5) != 0)
            abort();
        return 0;
    }
    walk(root);
    (void)sw_xml_text(root, "AssumeRoleResult/Credentials/AccessKeyId");
    (void)sw_xml_text(root, "Error/Code");
    (void)sw_xml_text(root, "Errors/Error/Code");
    (void)sw_xml_path(root, "PublishResult/MessageId");
    sw_xml_free(root);
    return 0;
}
