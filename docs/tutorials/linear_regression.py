"""Chapter — linear regression: the least-squares solution, then the same model trained by Keras."""

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

import profond as tf

# %% data
data = load_diabetes()  # 442 patients, 10 measurements, bundled with scikit-learn
x, y = data.data.astype("float32"), data.target.astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
print("features:", ", ".join(data.feature_names))
print("training set", x_train.shape, " test set", x_test.shape)
print(f"target: disease progression after one year, from {y.min():.0f} to {y.max():.0f}")

# %% normal_equation
# ŷ = b + xᵀw; with a column of ones in X, θ = (b, w) minimises J(θ) = 1/n ‖Xθ − y‖²,
# whose gradient 2/n Xᵀ(Xθ − y) is zero at the solution of XᵀX θ = Xᵀy (the normal equation).
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
X = np.c_[np.ones(len(x_train)), (x_train - mean) / std]          # standardised features
theta = np.linalg.solve(X.T @ X, X.T @ y_train)
X_test = np.c_[np.ones(len(x_test)), (x_test - mean) / std]
mse_exact = np.mean((X_test @ theta - y_test) ** 2)
print("b =", round(float(theta[0]), 2), "  w =", np.round(theta[1:], 1))
J_exact = np.mean((X @ theta - y_train) ** 2)
print(f"J on the training set {J_exact:.1f};  test MSE {mse_exact:.1f}")

# %% keras
tf.keras.utils.set_random_seed(0)
normalize = tf.keras.layers.Normalization()
normalize.adapt(x_train)  # learns the mean and the variance of each feature
model = tf.keras.Sequential([tf.keras.Input((10,)), normalize, tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.05), loss="mse")
history = model.fit(x_train, y_train, epochs=200, batch_size=len(x_train), verbose=0)
w, b = model.layers[-1].get_weights()
print(f"after 200 steps of gradient descent: J = {history.history['loss'][-1]:.1f}")
print("b =", round(float(b[0]), 2), "  w =", np.round(w[:, 0], 1))
apart = [f for f, gap in zip(data.feature_names, np.abs(w[:, 0] - theta[1:])) if gap > 3]
print(f"J is {history.history['loss'][-1] - J_exact:.1f} above its minimum, yet the weights of "
      f"{', '.join(apart)} are still far: these blood measurements are correlated")
print(f"condition number of XᵀX: {np.linalg.cond(X.T @ X):.0f} (a long, flat valley in J)")

# %% evaluate
y_hat = model.predict(x_test, verbose=0)[:, 0]
mse = model.evaluate(x_test, y_test, verbose=0)
r2 = 1 - np.sum((y_test - y_hat) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test MSE {mse:.1f} (least squares {mse_exact:.1f}),  R² = {r2:.3f}")
print(f"predicting the mean of the training targets instead: MSE "
      f"{np.mean((y_train.mean() - y_test) ** 2):.1f}")

# %% plot
import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(history.history["loss"])
left.set(xlabel="step", ylabel="J (MSE)", yscale="log", title="gradient descent")
right.scatter(y_test, y_hat, s=12)
right.plot([25, 346], [25, 346], "k--", linewidth=1)
right.set(xlabel="true y", ylabel="predicted ŷ", title="test set")
fig.tight_layout()
