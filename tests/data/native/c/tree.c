/* An unbalanced binary search tree: recursion (insert, height, sum, free). */
#include "util.h"

#include <stdlib.h>

struct tree {
    int key;
    struct tree *left, *right;
};

static struct tree *node_new(int key)
{
    struct tree *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->key = key;
    return n;
}

struct tree *tree_insert(struct tree *root, int key)
{
    if (!root)
        return node_new(key);
    if (key < root->key)
        root->left = tree_insert(root->left, key);
    else if (key > root->key)
        root->right = tree_insert(root->right, key);
    return root;
}

static inline int max_int(int a, int b) { return a > b ? a : b; }

int tree_height(const struct tree *root)
{
    return root ? 1 + max_int(tree_height(root->left), tree_height(root->right)) : 0;
}

long tree_sum(const struct tree *root)
{
    if (!root)
        return 0;
    return root->key + tree_sum(root->left) + tree_sum(root->right);
}

void tree_free(struct tree *root)
{
    if (!root)
        return;
    tree_free(root->left);
    tree_free(root->right);
    free(root);
}
