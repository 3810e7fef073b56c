/* aws/xml.h - a small read-only XML tree on expat, for Query-protocol
 * replies (STS AssumeRole, SNS Publish, Query error envelopes).
 *
 * sw_xml_parse() builds a tree of elements with their local names
 * (namespace prefixes and xmlns dropped) and concatenated text.  Limits
 * guard against hostile replies: depth <= 64, at most 100,000 elements,
 * no DTDs or entity declarations (billion laughs), input capped by the
 * caller's buffer.  Texts are wiped when freed (STS replies hold
 * secrets).  Pure: no I/O.
 */
#ifndef SW_AWS_XML_H
#define SW_AWS_XML_H

#include <stddef.h>

struct sw_xml_node {
    char *name; /* local name, e.g. "AccessKeyId" */
    char *text; /* concatenated character data, trimmed of
                   nothing; "" when none */
    size_t text_len;
    struct sw_xml_node *parent;
    struct sw_xml_node *child; /* first child */
    struct sw_xml_node *next;  /* next sibling */
};

/* sw_xml_parse - Returns 0 and *root: new (sw_xml_free()); SW_EPARSE
 * (malformed, DTD, too deep, too many nodes; ERR gets "line L column C:
 * message") or SW_ENOMEM. */
int sw_xml_parse(const char *data, size_t len, struct sw_xml_node **root,
                 char *err, size_t errlen);
void sw_xml_free(struct sw_xml_node *root);

/* sw_xml_child - first child of N named NAME, or NULL. Borrowed. */
const struct sw_xml_node *sw_xml_child(const struct sw_xml_node *n,
                                       const char *name);
/* sw_xml_path - descend from N along "A/B/C" (each step: first child of
 * that name), or NULL. Borrowed. */
const struct sw_xml_node *sw_xml_path(const struct sw_xml_node *n,
                                      const char *path);
/* sw_xml_text - text of sw_xml_path(n, path), or NULL. Borrowed. */
const char *sw_xml_text(const struct sw_xml_node *n, const char *path);

#endif
